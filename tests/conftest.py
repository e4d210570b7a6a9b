"""Shared fixtures: the loaded policy, and a writable copy of its folder for breaking."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# The suite runs the platform on the 2024 policy's last day (HUIQI_TODAY, inherited by every server and
# command the tests start), so applications can be lodged within its 申报期 whatever the real date;
# tests of an expired or not-yet policy set another date themselves (tests/test_lifecycle.py).
os.environ.setdefault("HUIQI_TODAY", "2024-12-31")
# The audit chain's signing key and checkpoints live outside the database (var/ for `make run`); the suite
# keeps its own in a temporary folder, shared by every server and command the tests start.
_AUDIT = __import__("tempfile").mkdtemp(prefix="huiqi-audit-")
os.environ.setdefault("HUIQI_AUDIT_KEY_FILE", os.path.join(_AUDIT, "audit-signing-key.pem"))
os.environ.setdefault("HUIQI_AUDIT_CHECKPOINTS", os.path.join(_AUDIT, "checkpoints"))

import pytest  # noqa: E402

from huiqi.catalogue import DEFAULT_POLICY_DIR, get_policy  # noqa: E402


@pytest.fixture(scope="session")
def policy():
    return get_policy()


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    """A private copy of the policy folder that a test may damage."""
    dest = tmp_path / "policy"
    shutil.copytree(DEFAULT_POLICY_DIR, dest)
    return dest
