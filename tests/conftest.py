"""Shared fixtures: the loaded policy, and a writable copy of its folder for breaking."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from huiqi.catalogue import DEFAULT_POLICY_DIR, get_policy


@pytest.fixture(scope="session")
def policy():
    return get_policy()


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    """A private copy of the policy folder that a test may damage."""
    dest = tmp_path / "policy"
    shutil.copytree(DEFAULT_POLICY_DIR, dest)
    return dest
