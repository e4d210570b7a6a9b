"""Appends that chain onto the head their transaction holds (audit.append remembers it): a savepoint rolled back
after it moved the head, a transaction ending, and another writer's entries in between must each make the next
append read the head again — the chain stays unbroken and numbered without gaps."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from huiqi.storage.models import AuditEntry, AuditHead
from huiqi.workflow import audit


@pytest.fixture(autouse=True)
def _key(tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_AUDIT_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("HUIQI_AUDIT_CHECKPOINTS", str(tmp_path / "checkpoints"))


def _entries(db) -> list[tuple[int, str, str, str]]:
    with db.transaction() as s:
        return [(e.seq, e.action, e.prev_hash, e.hash)
                for e in s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()]


def test_a_rolled_back_savepoint_does_not_leave_its_head_behind(db):
    with db.transaction() as s:
        assert audit.append(s, "t", "first", "x") == 1
        with pytest.raises(RuntimeError):
            with s.begin_nested():
                audit.append(s, "t", "undone", "x")
                audit.append(s, "t", "undone too", "x")
                raise RuntimeError("the step fails")
        with s.begin_nested():  # a released savepoint keeps what it appended
            assert audit.append(s, "t", "second", "x") == 2
        assert audit.append(s, "t", "third", "x") == 3
        assert s.get(AuditHead, 1).seq == 3
    rows = _entries(db)
    assert [r[1] for r in rows] == ["first", "second", "third"]
    assert all(rows[i][2] == rows[i - 1][3] for i in range(1, len(rows)))
    with db.transaction() as s:
        assert audit.verify(s, checkpoints=True).ok


def test_another_writer_between_two_transactions_of_one_session(db):
    with db.sessions() as mine:
        with mine.begin():
            audit.append(mine, "a", "mine 1", "x")
        with db.transaction() as other:  # commits while `mine` has no transaction
            audit.append(other, "b", "other", "x")
        with mine.begin():
            assert audit.append(mine, "a", "mine 2", "x") == 3
    rows = _entries(db)
    assert [r[1] for r in rows] == ["mine 1", "other", "mine 2"]
    assert rows[2][2] == rows[1][3]
    with db.transaction() as s:
        assert audit.verify(s).ok


def test_a_head_written_behind_the_remembered_one_is_read_again(db):
    """Two sessions on one connection (a test harness's shape): the second's append moves the head the first
    remembers; the first's next append must chain onto it, not onto what it remembered."""
    with db.engine.connect() as conn:
        with conn.begin():
            from sqlalchemy.orm import Session

            first, second = Session(bind=conn), Session(bind=conn)
            audit.append(first, "a", "one", "x")
            audit.append(second, "b", "two", "x")
            assert audit.append(first, "a", "three", "x") == 3
            first.close(), second.close()
    rows = _entries(db)
    assert [r[1] for r in rows] == ["one", "two", "three"]
    assert all(rows[i][2] == rows[i - 1][3] for i in range(1, len(rows)))
    with db.transaction() as s:
        assert audit.verify(s).ok
