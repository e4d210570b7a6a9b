"""The policies huiqi knows, as data folders, and the cached loader for them.

Only data lives in the policy folders; the code that reads them is in
:mod:`huiqi.rules`. ``HUIQI_POLICY_DIR`` points at another folder (used by tests
that feed a broken policy to prove the loader refuses it).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from huiqi.rules.loader import Policy, load_policy

DEFAULT_POLICY_DIR = Path(__file__).parent / "kunming_2024"


def policy_dir() -> Path:
    return Path(os.environ.get("HUIQI_POLICY_DIR", DEFAULT_POLICY_DIR))


@lru_cache(maxsize=4)
def _load(folder: str) -> Policy:
    return load_policy(Path(folder))


def get_policy() -> Policy:
    """The policy in use, loaded and validated once per process."""
    return _load(str(policy_dir()))


def departments(policy: Policy | None = None) -> list[str]:
    """Every lead department the policy names, once each, in the order the text first names them."""
    seen: dict[str, None] = {}
    for m in (policy or get_policy()).measures:
        for d in m.lead_departments:
            seen.setdefault(d.name, None)
    return list(seen)
