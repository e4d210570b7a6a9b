"""Screening speed: a synthetic registry screened in process, the read-once floor, and where time goes.

    .venv/bin/python bench/screen_bench.py --n 1000000 [--registry DIR] [--engine duckdb]

Generates the registry (unless --registry is given), then reports
- the floor: reading every table of the registry once into DuckDB (nothing else);
- the in-process screen (reading, checking, rules, pools, writing — Excel off), per stage;
- the what-if cost: one more rules pass on the same facts.
The whole-process figure is measured from outside with `/usr/bin/time -v .venv/bin/huiqi screen …`.
Results are written down in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from huiqi.batch.inputs import register_registry
from huiqi.batch.schema import ALL_TABLES
from huiqi.batch.screen import connect, run_rules_duckdb, screen
from huiqi.batch.synth import generate, write
from huiqi.catalogue import get_policy


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--registry", type=Path)
    ap.add_argument("--engine", default="duckdb")
    args = ap.parse_args()
    policy = get_policy()
    reg = args.registry
    if reg is None:
        reg = Path(tempfile.mkdtemp(prefix="huiqi-bench-"))
        t = time.perf_counter()
        write(generate(args.n, seed=1), reg)
        print(f"synth {args.n:,} entities: {time.perf_counter() - t:.2f} s → {reg}")
    con = connect()
    present = register_registry(con, reg)
    t = time.perf_counter()
    for table in ALL_TABLES:
        if table in present:
            con.execute(f"CREATE TABLE floor_{table} AS SELECT * FROM raw_{table}")
    floor = time.perf_counter() - t
    con.close()
    print(f"floor (read every table once): {floor:.2f} s")
    out = Path(tempfile.mkdtemp(prefix="huiqi-bench-out-"))
    t = time.perf_counter()
    result = screen(policy, reg, dt.date(2024, 10, 1), out, engine=args.engine, excel=False)
    total = time.perf_counter() - t
    print(f"screen in process: {total:.2f} s ({total / floor:.1f}× the floor); stages: "
          + ", ".join(f"{k} {v:.2f} s" for k, v in result.seconds.items()))
    print(f"  {result.entities:,} entities, {result.rows:,} rows out, {result.eligible:,} eligible, {result.rejected} rejected")
    from huiqi.batch.validate import prepare

    con = connect()
    prepare(con, set(register_registry(con, reg)), [p.id for p in policy.provisions()])
    t = time.perf_counter()
    run_rules_duckdb(con, policy, dt.date(2024, 10, 1), None, referral_rows=False)
    print(f"one more rules pass (the cost of a what-if): {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
