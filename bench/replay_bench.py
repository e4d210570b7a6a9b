"""The demo's replay of a policy year, and the pages that must stay fast with its volume (issue 15).

    .venv/bin/python bench/replay_bench.py [--size full|small] [--seed 2024] [--rounds 15] [--keep DIR] [--only PATH]

Replays into a fresh SQLite database in a temporary folder (its own audit key, checkpoints and evidence store),
prints the replay's time and what it made, then serves the app in process and times warm GETs of the pages an
official opens most, signed in as the role that opens them: medians and 95th percentiles of ``--rounds`` requests
after one warm-up. Results are written down in docs/benchmarks.md; nothing here is asserted.

``--keep DIR`` replays into DIR (database, audit key, checkpoints, evidence) and keeps it; a later run with the
same DIR times the pages on that year without replaying it again (a full replay takes over a minute), so a
change to a page can be timed before and after on the same data. ``--only`` times only the pages whose path
starts with it (repeatable).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PAGES = [  # (who, path, target ms from the issue, or None)
    (None, "/dashboard", 300), ("rev-gongxin", "/review", 200), (None, "/notices", 200),
    ("fin-demo", "/review", 200), ("ent-demo", "/portal", None), (None, "/lists", None),
    ("rev-fagai", "/commitments", None), ("rev-gongxin", "/voice/inbox", None), (None, "/api/v1/notices", None),
    (None, "/notices?page=20", None), (None, "/api/v1/notices?offset=1500&limit=50", None),
    ("rev-gongxin", "/api/v1/applications", None), ("fin-demo", "/api/v1/applications?offset=2000", None),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="full")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--keep", type=Path, help="replay into this folder and keep it; reuse it when it holds a year")
    ap.add_argument("--only", action="append", default=[], help="time only pages whose path starts with this")
    args = ap.parse_args()
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="huiqi-replay-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    reuse = (tmp / "replayed").exists()  # written after a finished replay: a half-made year is not reused
    if not reuse and (tmp / "huiqi.db").exists():
        sys.exit(f"{tmp} holds a database from an unfinished replay: remove the folder and start again")
    os.environ.update(HUIQI_DATABASE_URL=f"sqlite:///{tmp}/huiqi.db", HUIQI_AUDIT_KEY_FILE=str(tmp / "key.pem"),
                      HUIQI_AUDIT_CHECKPOINTS=str(tmp / "checkpoints"), HUIQI_EVIDENCE_DIR=str(tmp / "evidence"))
    os.environ.pop("HUIQI_TODAY", None)

    from sqlalchemy import select
    from starlette.testclient import TestClient

    from huiqi.api.app import create_app
    from huiqi.storage import migrate
    from huiqi.storage.db import Database
    from huiqi.storage.models import Application
    from huiqi.workflow import audit, demo, ledger, replay

    db = Database()
    migrate.upgrade(db.engine)
    if reuse:
        with db.transaction() as s:
            apps = len(s.execute(select(Application.id)).all())
        print(f"reusing the year replayed in {tmp}: {apps:,} applications ({(tmp / 'replayed').read_text().strip()})")
    else:
        t = time.perf_counter()
        done = replay.replay(db, size=args.size, seed=args.seed)
        took = time.perf_counter() - t
        with db.transaction() as s:
            apps = len(s.execute(select(Application.id)).all())
            checks = f"audit chain {'ok' if audit.verify(s).ok else 'BROKEN'}, ledger {'ok' if ledger.reconcile(s).ok else 'BROKEN'}"
        print(f"replay --size {args.size}: {took:.1f} s; {done.registry:,} entities, {done.offers:,} offers, {apps:,} "
              f"applications {dict(done.applications)}; objections {done.objections}; pools used up {done.pool_empty_on}; "
              f"refused {dict(done.refused)}; {checks}")
        if args.keep is not None:
            (tmp / "replayed").write_text(f"--size {args.size} --seed {args.seed}\n")

    app = create_app(db)
    password = os.environ.get("HUIQI_DEMO_PASSWORD", demo.DEFAULT_PASSWORD)
    clients: dict[str | None, TestClient] = {None: TestClient(app, base_url="https://testserver")}  # the session cookie is Secure
    print(f"{'page':<28} {'as':<12} {'median ms':>10} {'p95 ms':>8} {'target':>7}")
    for who, path, target in PAGES:
        if args.only and not any(path.startswith(o) for o in args.only):
            continue
        if who not in clients:
            c = TestClient(app, base_url="https://testserver")
            r = c.post("/api/v1/auth/login", json={"username": who, "password": password})
            if r.status_code != 200:
                sys.exit(f"{who} could not sign in: {r.status_code} {r.text[:200]}")
            clients[who] = c
        c = clients[who]
        first = c.get(path)
        if first.status_code != 200:
            print(f"{path:<28} {who or '—':<12} answered {first.status_code}")
            continue
        lat = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            c.get(path)
            lat.append((time.perf_counter() - t) * 1000)
        lat.sort()
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
        print(f"{path:<28} {who or '—':<12} {statistics.median(lat):>10.1f} {p95:>8.1f} {target or '':>7}")


if __name__ == "__main__":
    main()
