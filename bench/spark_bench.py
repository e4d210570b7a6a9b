"""The Spark screen's fixed cost against DuckDB's, on the same synthetic registry, in fresh processes.

    .venv/bin/python bench/spark_bench.py --n 3000 --n 100000 --rounds 3 [--code /tmp/spark-base] [--master local[2]]

For each size a registry is synthesised once (``huiqi synth``, seed 1), then each round runs, one after the other in
fresh processes: DuckDB's screen, and Spark's screen for each ``--code`` folder (a checkout of huiqi, e.g. a
``git worktree`` of the commit before a change, put first on ``PYTHONPATH``; ``.`` is this checkout). Rounds
alternate so that a busy machine weighs on every variant alike. Each run reports

- the whole process's wall time (started to ended, JVM start included);
- each stage's time (the ``progress`` ticks of ``screen_spark``: reading, checking, screening, pools, writing);
- the number of Spark jobs, in total and per stage (the status tracker);
- the time Catalyst spent in its analyser and optimiser rules (``RuleExecutor``'s counters) and the rules that
  took most;

and the load average at the start of the run. Medians go to stdout as a Markdown table; every run's figures as
JSON lines to ``--json``. Results are written down in /work/notes/bench-spark.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
AS_OF = "2024-10-01"


def _rule_seconds(spark) -> tuple[float, list[tuple[str, float]]]:
    """Catalyst's time in analyser/optimiser rules so far, and the five costliest rules (RuleExecutor's counters)."""
    text = spark.sparkContext._jvm.org.apache.spark.sql.catalyst.rules.RuleExecutor.dumpTimeSpent()
    total, rules = 0.0, []
    for line in text.splitlines():
        if line.startswith("Total time:"):
            total = float(line.split(":")[1].split()[0])
        parts = line.split()
        if len(parts) >= 3 and parts[0].startswith("org.apache.spark"):
            try:
                rules.append((parts[0].rsplit(".", 1)[-1], int(parts[1]) / 1e9))
            except ValueError:
                pass
    return total, sorted(rules, key=lambda r: -r[1])[:5]


def child_spark(registry: str, master: str) -> dict:
    """One Spark screen in this process: stages, jobs, rule time."""
    import datetime as dt

    from huiqi.batch.spark import SparkSource, SparkTarget, screen_spark, session
    from huiqi.catalogue import get_policy

    t0 = time.perf_counter()
    spark = session(master)
    jvm_start = time.perf_counter() - t0
    tracker = spark.sparkContext.statusTracker()
    marks: list[tuple[str, float, int, float]] = []

    def tick(stage: str) -> None:
        marks.append((stage.split()[-1], time.perf_counter(), len(tracker.getJobIdsForGroup(None)),
                      _rule_seconds(spark)[0]))

    out = tempfile.mkdtemp(prefix="huiqi-spark-bench-out-")
    t = time.perf_counter()
    result = screen_spark(get_policy(), SparkSource(uri=Path(registry).as_uri()), dt.date.fromisoformat(AS_OF),
                          SparkTarget(uri=Path(out).as_uri()), progress=tick)
    tick("end")
    total = time.perf_counter() - t
    rules, top = _rule_seconds(spark)
    stages = {}
    for (name, start, jobs, rs), (_, end, jobs_end, rs_end) in zip(marks, marks[1:]):
        stages[name] = {"s": round(end - start, 2), "jobs": jobs_end - jobs, "rules_s": round(rs_end - rs, 2)}
    return {"jvm_start_s": round(jvm_start, 2), "screen_s": round(total, 2), "jobs": marks[-1][2],
            "rules_s": round(rules, 2), "top_rules": [(n, round(s, 2)) for n, s in top], "stages": stages,
            "rows": result.rows, "entities": result.entities, "rejected": result.rejected}


def child_duckdb(registry: str) -> dict:
    import datetime as dt

    from huiqi.batch.screen import screen
    from huiqi.catalogue import get_policy

    out = Path(tempfile.mkdtemp(prefix="huiqi-duck-bench-out-"))
    t = time.perf_counter()
    result = screen(get_policy(), Path(registry), dt.date.fromisoformat(AS_OF), out, engine="duckdb", excel=False)
    return {"screen_s": round(time.perf_counter() - t, 2), "rows": result.rows, "entities": result.entities,
            "rejected": result.rejected, "stages": {k: {"s": round(v, 2)} for k, v in result.seconds.items()}}


def run(kind: str, registry: Path, code: str, master: str) -> dict:
    """One fresh process; its whole wall time measured from here."""
    env = dict(os.environ, PYTHONPATH=str(Path(code).resolve()), HUIQI_TODAY="2024-12-31")
    load = os.getloadavg()[0]
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", kind, "--registry", str(registry), "--master", master],
                          env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{kind} {code}: failed\n{proc.stderr[-3000:]}")
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"kind": kind, "code": code, "registry": str(registry), "load1": round(load, 2), "wall_s": round(wall, 2),
            **figures}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, action="append")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--code", action="append", help="a huiqi checkout to run Spark from (default: this one)")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--no-duckdb", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--child")
    ap.add_argument("--registry")
    args = ap.parse_args()
    if args.child:
        figures = child_spark(args.registry, args.master) if args.child == "spark" else child_duckdb(args.registry)
        print(json.dumps(figures))
        return
    codes = args.code or [str(HERE)]
    runs = []
    for n in args.n or [3000]:
        registry = Path(tempfile.gettempdir()) / f"huiqi-spark-bench-{n}"
        if not (registry / "entities.parquet").exists():
            subprocess.run([str(Path(sys.executable).parent / "huiqi"), "synth", "--n", str(n), "--seed", "1",
                            "--out", str(registry)], check=True, capture_output=True)
        for r in range(args.rounds):
            variants = [("spark", c) for c in (codes if r % 2 == 0 else codes[::-1])]
            if not args.no_duckdb:
                variants.insert(r % (len(variants) + 1), ("duckdb", str(HERE)))
            for kind, code in variants:
                one = {"n": n, "round": r, **run(kind, registry, code, args.master)}
                runs.append(one)
                print(json.dumps(one), file=sys.stderr, flush=True)
                if args.json:
                    with args.json.open("a") as f:
                        f.write(json.dumps(one) + "\n")
    print("| n | engine | code | runs | wall s (median) | screen s | jobs | Catalyst rules s | load1 |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for n in args.n or [3000]:
        for kind, code in [("duckdb", str(HERE)), *(("spark", c) for c in codes)]:
            mine = [x for x in runs if x["n"] == n and x["kind"] == kind and x["code"] == code]
            if not mine:
                continue

            def med(key: str) -> str:
                vals = [x[key] for x in mine if key in x]
                return f"{statistics.median(vals):.2f}" if vals else "–"

            print(f"| {n:,} | {kind} | {code} | {len(mine)} | {med('wall_s')} | {med('screen_s')} | {med('jobs')} | "
                  f"{med('rules_s')} | {med('load1')} |")


if __name__ == "__main__":
    main()
