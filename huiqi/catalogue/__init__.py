"""The policies huiqi knows, as data folders listed in an index, and the cached loader for them.

Only data lives in the policy folders; the code that reads them is in :mod:`huiqi.rules`, and the one
module that hands policies to the rest of the platform is :mod:`huiqi.policies`. The index
(``index.yaml`` beside this file, or the file ``HUIQI_CATALOGUE`` names) lists the folders, the default
first. ``HUIQI_POLICY_DIR`` serves exactly one folder instead (used by tests that feed a broken policy to
prove the loader refuses it).
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path

from huiqi.rules.loader import Policy, PolicyDataError, load_policy, read_yaml

INDEX = Path(__file__).parent / "index.yaml"
_INDEX = str(INDEX)
DEFAULT_POLICY_DIR = (INDEX.parent / read_yaml(INDEX)["policies"][0]).resolve()  # the built-in default policy


def _index_name() -> str:
    return os.environ.get("HUIQI_CATALOGUE", _INDEX)


def index_path() -> Path:
    return Path(_index_name())


FRESH_SECONDS = 1.0  # how long an index file's modification time is trusted before it is looked at again
_STAMPS: dict[str, tuple[float, int]] = {}  # index file → (when its time was read, that time)


def folders() -> list[Path]:
    """The policy folders served, the default first (the index is read again only when it changes: every
    evaluation asks, so this must cost nothing — its modification time is read at most once a second per
    index file, a stat() having been 2 % of an API evaluation)."""
    if os.environ.get("HUIQI_POLICY_DIR"):
        return [Path(os.environ["HUIQI_POLICY_DIR"])]
    path = _index_name()  # index_path(), without building a Path each time
    now = time.monotonic()
    seen = _STAMPS.get(path)
    if seen is None or now - seen[0] >= FRESH_SECONDS:
        try:
            seen = _STAMPS[path] = (now, os.stat(path).st_mtime_ns)
        except OSError as e:
            raise PolicyDataError(f"{path}: cannot read the catalogue's index ({e.strerror})") from e
    return list(_read_index(path, seen[1]))


@lru_cache(maxsize=8)
def _read_index(index: str, _stamp: int) -> tuple[Path, ...]:
    path = Path(index)
    data = read_yaml(path)
    entries = data.get("policies") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries or not all(isinstance(e, str) and e.strip() for e in entries):
        raise PolicyDataError(f"{path}: policies: a list of policy folders is required")
    return tuple((path.parent / e).resolve() for e in entries)


def policy_dir() -> Path:
    """The default policy's folder."""
    return folders()[0]


@lru_cache(maxsize=16)
def _load(folder: str) -> Policy:
    return load_policy(Path(folder))


@lru_cache(maxsize=4)
def _catalogue(key: tuple[str, ...]) -> tuple[Policy, ...]:
    loaded = tuple(_load(f) for f in key)
    ids = [p.header.id for p in loaded]
    if len(set(ids)) != len(ids):
        raise PolicyDataError(f"{index_path()}: two folders declare the same policy id ({', '.join(ids)})")
    return loaded


def all_policies() -> tuple[Policy, ...]:
    """Every policy served, loaded and validated once per process, the default first."""
    return _catalogue(tuple(str(f) for f in folders()))


def get_policy(policy_id: str | None = None) -> Policy:
    """One policy by id (None: the default), loaded and validated once per process; KeyError if unknown."""
    policies = all_policies()
    if policy_id is None:
        return policies[0]
    for p in policies:
        if p.header.id == policy_id:
            return p
    raise KeyError(policy_id)


def departments(policy: Policy | None = None) -> list[str]:
    """Every lead department the policy names, once each, in the order the text first names them."""
    seen: dict[str, None] = {}
    for m in (policy or get_policy()).measures:
        for d in m.lead_departments:
            seen.setdefault(d.name, None)
    return list(seen)
