"""Migration 0008 keeps the delivery records made before it: every row goes to the policy it was made under
(the default policy, as 0007 recorded it), a commitment's key is namespaced and its reports follow, and the
downgrade to 0007 gives the rows back as they were — on SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from huiqi.storage.migrate import downgrade, upgrade
from huiqi.workflow import accounts

DAY = dt.date(2024, 5, 6)
AT = dt.datetime(2024, 5, 6, 9, 30)


def _old_rows(db) -> int:
    """Rows as revision 0007 stored them (raw SQL: the models are the new schema's)."""
    with db.transaction() as s:
        ent = accounts.create_user(s, "ent", "a-long-password-1", "applicant", credit_code="91530100MA6K3YXF8W").id
    downgrade(db.engine, "0007")
    with db.engine.begin() as c:
        for n in (1, 2):
            c.execute(text("INSERT INTO commitments (id, measure_id, seq, sentence, departments, due, status, updated_at) "
                           "VALUES (:id, 'm07', :n, '句子', '[\"市工业和信息化局\"]', :due, 'in_progress', :at)"),
                      {"id": f"m07.c0{n}", "n": n, "due": dt.date(2024, 12, 31), "at": AT})
        c.execute(text("INSERT INTO commitment_reports (commitment_id, status, note, actor, at) "
                       "VALUES ('m07.c02', 'in_progress', '已开展', 'rev', :at)"), {"at": AT})
        c.execute(text("INSERT INTO projects (code, name, investor, investor_origin, total_investment_fen, stage, "
                       "packaged, technical_renovation, in_mohan_border_park, measures, department, created_at, updated_at) "
                       "VALUES ('P-1', '示例项目', '示例公司', 'out_of_province', 100, 'started', false, false, false, "
                       "'[]', '市投资促进局', :at, :at)"), {"at": AT})
        c.execute(text("INSERT INTO list_entries (kind, name, department) VALUES ('chain', '清单项目', '市发展改革委')"))
        c.execute(text("INSERT INTO voice_tickets (raised_by, channel, subject, content, department, status, raised_on, "
                       "due_on) VALUES (:u, 'online', '问题', '内容', '市工业和信息化局', 'open', :d, :d)"),
                  {"u": ent, "d": DAY})
    return ent


def _snapshot(c) -> dict:
    return {
        "commitments": c.execute(text("SELECT id, measure_id, seq, status FROM commitments ORDER BY id")).all(),
        "reports": c.execute(text("SELECT commitment_id, note FROM commitment_reports")).all(),
        "projects": c.execute(text("SELECT code, stage FROM projects")).all(),
        "lists": c.execute(text("SELECT kind, name FROM list_entries")).all(),
        "voice": c.execute(text("SELECT subject, due_on FROM voice_tickets")).all(),
    }


def test_upgrade_keeps_the_rows_under_the_policy_they_were_made_under(db):
    _old_rows(db)
    with db.engine.connect() as c:
        before = _snapshot(c)
    upgrade(db.engine)
    with db.engine.connect() as c:
        after = _snapshot(c)
        for table in ("commitments", "projects", "list_entries", "voice_tickets"):
            assert set(c.execute(text(f"SELECT policy_id FROM {table}")).scalars()) == {"kunming_2024"}, table
    assert after["commitments"] == [(f"kunming_2024/{i}", m, n, st) for i, m, n, st in before["commitments"]]
    assert after["reports"] == [("kunming_2024/m07.c02", "已开展")]
    assert {k: after[k] for k in ("projects", "lists", "voice")} == {k: before[k] for k in ("projects", "lists", "voice")}
    # the reference still holds, and the status CHECK survived the rebuild
    with pytest.raises(IntegrityError), db.engine.begin() as c:
        c.execute(text("INSERT INTO commitment_reports (commitment_id, status, note, actor, at) "
                       "VALUES ('m07.c02', 'done', 'x', 'rev', :at)"), {"at": AT})
    with pytest.raises(IntegrityError), db.engine.begin() as c:
        c.execute(text("UPDATE commitments SET status = 'lost' WHERE id = 'kunming_2024/m07.c01'"))
    with pytest.raises(IntegrityError), db.engine.begin() as c:  # the list entries' rebuild kept its other CHECK
        c.execute(text("UPDATE list_entries SET investment_fen = -1"))
    with db.engine.begin() as c:  # a list key of another notice's declaration is stored (the service checks it)
        c.execute(text("UPDATE list_entries SET kind = 'first_entries'"))
        c.execute(text("UPDATE list_entries SET kind = 'chain'"))
    # a key as long as the longest policy id allows fits
    longest = "p" * 24 + "/m100.c100"
    with db.engine.begin() as c:
        c.execute(text("INSERT INTO commitments (id, policy_id, measure_id, seq, sentence, departments, due, status, "
                       "updated_at) VALUES (:id, :p, 'm100', 100, 's', '[]', :d, 'done', :at)"),
                  {"id": longest, "p": "p" * 24, "d": DAY, "at": AT})
        c.execute(text("DELETE FROM commitments WHERE id = :id"), {"id": longest})


def test_downgrade_gives_the_rows_back_and_upgrade_again(db):
    _old_rows(db)
    with db.engine.connect() as c:
        before = _snapshot(c)
    upgrade(db.engine)
    downgrade(db.engine, "0007")
    with db.engine.connect() as c:
        assert _snapshot(c) == before
    with pytest.raises(IntegrityError), db.engine.begin() as c:  # 0007's CHECK on the list kinds is back
        c.execute(text("UPDATE list_entries SET kind = 'first_entries'"))
    upgrade(db.engine)
    with db.engine.connect() as c:
        assert c.execute(text("SELECT commitment_id FROM commitment_reports")).scalar_one() == "kunming_2024/m07.c02"


def test_downgrade_refuses_when_another_policy_has_records(db):
    with db.engine.begin() as c:
        c.execute(text("INSERT INTO list_entries (policy_id, kind, name, department) "
                       "VALUES ('shili_2025', 'chain', '清单项目', '市发展改革委')"))
    with pytest.raises(RuntimeError, match="list_entries: 1"):
        downgrade(db.engine, "0007")
    with db.engine.connect() as c:  # nothing was changed
        assert c.execute(text("SELECT policy_id FROM list_entries")).scalar_one() == "shili_2025"
