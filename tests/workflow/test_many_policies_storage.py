"""Two policies in one database (issue 11, part 3): every stored row names its policy, and the keys that must
be unique — pools, yearly caps, live claims — are namespaced, so two notices with the same measure, pool or
provision ids never share money. The migration that introduced this keeps existing data, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, text

from huiqi import policies
from huiqi.catalogue import DEFAULT_POLICY_DIR
from huiqi.storage.migrate import downgrade, upgrade
from huiqi.storage.models import Application, EntityCap, Pool
from huiqi.workflow import accounts, ledger, parameters, service

CODE = "91530100MA6K3YXF8W"
PROFILE = {"kind": "enterprise", "name": "示例智能科技有限公司", "credit_code": CODE, "industry": "6513",
           "compute_claims": [{"id": "c1", "date": "2024-05-10", "category": "model_service", "spend": "1000000.00"}]}


@pytest.fixture
def two_notices(tmp_path, monkeypatch):
    """The 2024 notice and a copy of it under another id with a different compute-voucher pool: the same
    measure, pool and provision ids in both — the case where ids used to collide in the database."""
    copy = tmp_path / "kunming_2024_bis"
    shutil.copytree(DEFAULT_POLICY_DIR, copy)
    header = yaml.safe_load((copy / "policy.yaml").read_text(encoding="utf-8"))
    raw = (copy / "policy.yaml").read_text(encoding="utf-8").replace(f"id: {header['id']}", "id: kunming_2024_bis", 1)
    (copy / "policy.yaml").write_text(raw, encoding="utf-8")
    m07 = (copy / "measures" / "m07.yaml").read_text(encoding="utf-8")
    (copy / "measures" / "m07.yaml").write_text(m07.replace("total: 30000000", "total: 50000000"), encoding="utf-8")
    index = tmp_path / "index.yaml"
    index.write_text(yaml.safe_dump({"policies": [str(DEFAULT_POLICY_DIR), str(copy)]}), encoding="utf-8")
    monkeypatch.setenv("HUIQI_CATALOGUE", str(index))
    assert policies.ids() == ["kunming_2024", "kunming_2024_bis"]


def _people(db):
    with db.transaction() as s:
        ledger.ensure_pools(s)
        ent = accounts.create_user(s, "ent", "a-long-password-1", "applicant", credit_code=CODE)
        rev = accounts.create_user(s, "rev", "a-long-password-1", "reviewer", department="市工业和信息化局")
        adm = accounts.create_user(s, "adm", "a-long-password-1", "admin")
        return ent, rev, adm


def test_two_notices_with_the_same_ids_keep_their_own_money(db, two_notices):
    ent, rev, adm = _people(db)
    with db.transaction() as s:
        pools = {p.id: p for p in s.execute(select(Pool)).scalars()}
        assert pools["kunming_2024/m07.compute_voucher_pool"].total_fen == 3_000_000_000
        assert pools["kunming_2024_bis/m07.compute_voucher_pool"].total_fen == 5_000_000_000  # not silently ignored
        # the same claim under each notice: two applications, two pools, two yearly caps
        a = service.create(s, ent, PROFILE, "m07.compute_voucher", "c1", today=dt.date(2024, 6, 1))
        b = service.create(s, ent, PROFILE, "m07.compute_voucher", "c1", today=dt.date(2024, 6, 1),
                           policy_id="kunming_2024_bis")
        for app in (a, b):
            service.submit(s, ent, app.id, dt.date(2024, 6, 1), today=dt.date(2024, 6, 1))
            service.start_review(s, rev, app.id)
            service.approve(s, rev, app.id, 30_000_000)
        assert (a.policy_id, b.policy_id) == ("kunming_2024", "kunming_2024_bis")
        assert a.claim_key != b.claim_key and a.pool_id != b.pool_id
        assert {c.provision_id for c in s.execute(select(EntityCap)).scalars()} == {
            "kunming_2024/m07.compute_voucher", "kunming_2024_bis/m07.compute_voucher"}
        # an administrator's change to one notice does not touch the other
        parameters.change(s, adm, "m07.compute_voucher", "rate", "0.40", dt.date(2024, 6, 1), "r",
                          policy_id="kunming_2024_bis")
        assert policies.effective(s, "kunming_2024_bis").changes and not policies.effective(s).changes
        rec = ledger.reconcile(s)
        assert rec.ok and not rec.total_mismatches


def test_a_pool_total_that_differs_from_its_notice_is_reported(db):
    _people(db)
    with db.transaction() as s:
        s.execute(text("UPDATE pools SET total_fen = total_fen + 1 WHERE id = 'kunming_2024/m07.compute_voucher_pool'"))
    with db.transaction() as s:
        rec = ledger.reconcile(s)
    assert rec.ok and rec.total_mismatches == [
        "kunming_2024/m07.compute_voucher_pool: total 3000000001 fen but the policy states 3000000000 fen "
        "/ 资金池总额与政策文件不一致"]


def test_the_migration_keeps_existing_data(db):
    """Data made before the namespacing (revision 0006) is carried over: keys prefixed with the one policy
    there was, the ledger still balances, and the application goes on to disbursement."""
    ent, rev, _ = _people(db)
    fin = None
    with db.transaction() as s:
        fin = accounts.create_user(s, "fin", "a-long-password-1", "finance")
        app = service.create(s, ent, PROFILE, "m07.compute_voucher", "c1", today=dt.date(2024, 6, 1))
        service.submit(s, ent, app.id, dt.date(2024, 6, 1), today=dt.date(2024, 6, 1))
        service.start_review(s, rev, app.id)
        service.approve(s, rev, app.id, 25_000_000, "按审核核定")
    downgrade(db.engine, "0006")
    with db.engine.connect() as c:
        assert c.execute(text("SELECT pool_id, claim_key FROM applications")).one() == (
            "m07.compute_voucher_pool", f"m07.compute_voucher|c1|{CODE}")
        assert c.execute(text("SELECT provision_id FROM entity_caps")).scalar_one() == "m07.compute_voucher"
    upgrade(db.engine)
    with db.transaction() as s:
        row = s.get(Application, app.id)
        assert (row.policy_id, row.pool_id, row.claim_key) == (
            "kunming_2024", "kunming_2024/m07.compute_voucher_pool", f"kunming_2024|m07.compute_voucher|c1|{CODE}")
        assert s.get(Pool, "kunming_2024/m07.compute_voucher_pool").reserved_fen == 25_000_000
        assert ledger.reconcile(s).ok
        service.publish(s, fin, app.id, today=dt.date(2024, 6, 3))
        service.disburse(s, fin, app.id, today=dt.date(2024, 6, 12))
        assert ledger.reconcile(s).ok
        assert s.get(Pool, "kunming_2024/m07.compute_voucher_pool").settled_fen == 25_000_000


def test_a_policy_id_too_long_for_its_keys_is_refused(policy_copy: Path):
    from huiqi.rules.loader import PolicyDataError, load_policy

    raw = (policy_copy / "policy.yaml").read_text(encoding="utf-8")
    (policy_copy / "policy.yaml").write_text(raw.replace("id: kunming_2024", "id: a_very_long_policy_identifier_2025", 1),
                                             encoding="utf-8")
    with pytest.raises(PolicyDataError, match="2–24 lowercase"):
        load_policy(policy_copy)
