"""huiqi's registry screen side by side with OpenFisca on ten award rules (issue 16), in one interleaved run.

    .venv/bin/python bench/screen_vs_openfisca.py [--n 1000000] [--rounds 3] [--registry DIR] [--venv DIR]
                                                  [--commit REV]

``--commit REV`` measures huiqi as committed at REV (``git archive`` into a temporary folder, first on
PYTHONPATH) instead of the working tree, which other sessions may be editing while the bench runs.

Jobs, each in a fresh process, interleaved over ``--rounds`` rounds (the order rotates each round):

- huiqi screen: all provisions, explanation keys and pools, Excel off (huiqi.batch.screen.screen, as
  bench/screen_bench.py); in-process time around ``screen()`` (reading, checking, rules, pools, writing);
- huiqi screen CLI: ``huiqi screen REG --as-of 2024-10-01 --out OUT --no-excel`` (whole process only);
- OpenFisca 46, the ten rules of bench/openfisca_rules.py; in-process time from reading the Parquet files to the
  ten totals (the package is built before the clock, as huiqi loads its policy before its clock);
- DuckDB, the same ten rules as one query, 1 thread;
- DuckDB reading every input value of the ten rules once (the floor of any engine on these files), 1 thread;
- huiqi reading every one of its input tables into DuckDB (its own floor, as bench/screen_bench.py).

Whole process: wall time of the child; peak RSS: the child's ``ru_maxrss`` (os.wait4). Medians of the rounds.
OpenFisca runs in its own venv (default /tmp/huiqi-venv-openfisca, made with python3.11 -m venv and
bench/requirements-openfisca.txt when missing), never in huiqi's. The registry is ``huiqi synth --seed 1``
(kept in /tmp/huiqi-bench-reg-<n> unless --registry). At the end a cross-check: per provision, OpenFisca's
paid claims and total fen against the DuckDB query's and huiqi's eligible rows of the same provision.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
HUIQI_PY = ROOT / ".venv" / "bin" / "python"
HUIQI_CLI = ROOT / ".venv" / "bin" / "huiqi"
AS_OF = "2024-10-01"


# -- the jobs run inside a child (``--job``) ------------------------------------------------------------------


def job_huiqi_screen(reg: Path, out: Path) -> dict:
    from huiqi.batch.screen import screen
    from huiqi.catalogue import get_policy

    policy = get_policy()
    t = time.perf_counter()
    result = screen(policy, reg, dt.date.fromisoformat(AS_OF), out, excel=False)
    import huiqi

    return {"seconds": time.perf_counter() - t, "stages": result.seconds, "rows": result.rows,
            "eligible": result.eligible, "huiqi": str(Path(huiqi.__file__).parent)}


def job_huiqi_floor(reg: Path) -> dict:
    from huiqi.batch.inputs import register_registry
    from huiqi.batch.schema import ALL_TABLES
    from huiqi.batch.screen import connect

    con = connect()
    t = time.perf_counter()
    present = register_registry(con, reg)
    for table in ALL_TABLES:
        if table in present:
            con.execute(f"CREATE TABLE floor_{table} AS SELECT * FROM raw_{table}")
    return {"seconds": time.perf_counter() - t}


# -- the runner -----------------------------------------------------------------------------------------------


def ensure_venv(venv: Path) -> Path:
    py = venv / "bin" / "python"
    if not py.exists():
        print(f"creating the OpenFisca venv {venv} …", flush=True)
        subprocess.run(["python3.11", "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", str(BENCH / "requirements-openfisca.txt")],
                       check=True)
    return py


def ensure_registry(n: int, reg: Path | None) -> Path:
    if reg is not None:
        return reg
    reg = Path(tempfile.gettempdir()) / f"huiqi-bench-reg-{n}"
    if not (reg / "entities.parquet").exists():
        subprocess.run([str(HUIQI_CLI), "synth", "--n", str(n), "--seed", "1", "--out", str(reg)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return reg


def run_child(cmd: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """Run ``cmd`` in a fresh process: (wall seconds, peak RSS in KiB, its stdout). The child is reaped by
    ``os.wait4``, so its own peak RSS is read (not the maximum of every child so far)."""
    t = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{err.read().decode()[-3000:]}")
        return wall, usage.ru_maxrss, out.read().decode()


def last_json(text: str) -> dict:
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def huiqi_totals(out: Path, provisions) -> dict:
    import duckdb

    rows = duckdb.sql(f"SELECT provision_id, count(*), sum(amount_fen)::BIGINT "
                      f"FROM read_parquet('{out / 'entitlements.parquet'}') WHERE status = 'eligible' GROUP BY ALL"
                      ).fetchall()
    got = {pid: [int(n), int(fen or 0)] for pid, n, fen in rows}
    return {pid: got.get(pid, [0, 0]) for pid in provisions}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="entities in the synthetic registry")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--registry", type=Path, help="a registry folder (Parquet) instead of huiqi synth")
    ap.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "huiqi-venv-openfisca",
                    help="the OpenFisca venv (created when missing)")
    ap.add_argument("--commit", help="measure huiqi as committed at this revision (git archive), not the working tree")
    ap.add_argument("--job", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.job:  # inside a child
        name, *rest = args.job
        fn = {"huiqi-screen": job_huiqi_screen, "huiqi-floor": job_huiqi_floor}[name]
        print(json.dumps(fn(*map(Path, rest))))
        return

    sys.path.insert(0, str(BENCH))
    from openfisca_rules import PROVISIONS

    of_py = ensure_venv(args.venv)
    t = time.perf_counter()
    reg = ensure_registry(args.n, args.registry)
    print(f"registry {reg} ({time.perf_counter() - t:.1f} s to make or find); {args.rounds} rounds; "
          f"load average before {os.getloadavg()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="huiqi-vs-openfisca-"))
    atexit.register(shutil.rmtree, work, True)  # the outputs and snapshot go, whatever happens
    env = None
    if args.commit:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", args.commit], check=True, capture_output=True,
                             text=True).stdout.strip()
        snap = work / "huiqi-src"
        snap.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "huiqi"], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(snap)], input=archive.stdout, check=True)
        env = {**os.environ, "PYTHONPATH": str(snap)}
        print(f"huiqi as committed at {rev} ({snap})", flush=True)
    me = str(Path(__file__).resolve())
    rules = str(BENCH / "openfisca_rules.py")
    jobs = {  # name → command (OUT is replaced by a fresh folder per run)
        "huiqi screen (all provisions, Excel off)": [str(HUIQI_PY), me, "--job", "huiqi-screen", str(reg), "OUT"],
        "huiqi screen CLI (--no-excel)": [str(HUIQI_CLI), "screen", str(reg), "--as-of", AS_OF, "--out", "OUT",
                                          "--no-excel"],
        "OpenFisca 46, ten rules": [str(of_py), rules, "openfisca", str(reg)],
        "DuckDB, ten rules, 1 thread": [str(HUIQI_PY), rules, "duckdb", str(reg)],
        "DuckDB reading every input value once (floor), 1 thread": [str(HUIQI_PY), rules, "duckdb-floor", str(reg)],
        "huiqi reading every one of its input tables (its own floor)": [str(HUIQI_PY), me, "--job", "huiqi-floor",
                                                                        str(reg)],
    }
    names = list(jobs)
    figures: dict[str, list[tuple[float | None, float, int]]] = {n: [] for n in names}
    last: dict[str, dict] = {}
    kept_out = None
    for r in range(args.rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            out = work / f"out-{r}-{names.index(name)}"
            cmd = [str(out) if c == "OUT" else c for c in jobs[name]]
            wall, rss, stdout = run_child(cmd, env)
            data = last_json(stdout)
            last[name] = data
            figures[name].append((data.get("seconds"), wall, rss))
            if name.startswith("huiqi screen ("):
                if kept_out is not None:
                    shutil.rmtree(kept_out, ignore_errors=True)
                kept_out = out
            elif out.exists():
                shutil.rmtree(out, ignore_errors=True)
            print(f"  round {r + 1} {name}: in process "
                  f"{'—' if data.get('seconds') is None else format(data['seconds'], '.2f') + ' s'}, "
                  f"whole {wall:.2f} s, peak RSS {rss / 1024:.0f} MiB", flush=True)
    load_after = os.getloadavg()

    med = {}
    print(f"\n{args.n:,} entities, medians of {args.rounds} interleaved rounds (load average after {load_after}):\n")
    print("| job | in process | whole process | peak RSS |\n|---|---:|---:|---:|")
    for name in names:
        ins = [f[0] for f in figures[name] if f[0] is not None]
        m = (statistics.median(ins) if ins else None, statistics.median(f[1] for f in figures[name]),
             statistics.median(f[2] for f in figures[name]) / 1024)
        med[name] = m
        print(f"| {name} | {'—' if m[0] is None else f'{m[0]:.2f} s'} | {m[1]:.2f} s | {m[2]:.0f} MiB |")
    hq, cli, of, ddb, floor, own = (med[n] for n in names)
    print("\nratios (medians):")
    print(f"- huiqi screen / OpenFisca ten rules, in process: {hq[0] / of[0]:.2f}×; whole process "
          f"(CLI / OpenFisca): {cli[1] / of[1]:.2f}×; peak RSS {cli[2] / of[2]:.2f}×")
    print(f"- huiqi screen / huiqi's own read floor, in process: {hq[0] / own[0]:.2f}×; whole process (CLI): "
          f"{cli[1] / own[1]:.2f}×")
    print(f"- OpenFisca / DuckDB ten rules, in process: {of[0] / ddb[0]:.2f}×; DuckDB ten rules / DuckDB floor: "
          f"{ddb[0] / floor[0]:.2f}×")
    o = last[names[2]]
    print(f"- OpenFisca's last run: reading {o['read_seconds']:.2f} s, simulation and ten rules "
          f"{o['rules_seconds']:.2f} s "
          f"(building the package before the clock: {o['package_seconds']:.2f} s); {o['enterprises']:,} enterprises, "
          f"{o['events']:,} events")
    print(f"- huiqi measured from {last[names[0]].get('huiqi')}")
    stages = last[names[0]].get("stages", {})
    if stages:
        print("- huiqi's last in-process run by stage: " + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items()))

    # cross-check: paid claims and total fen per provision
    of_res = last[names[2]]["results"]
    ddb_res = last[names[3]]["results"]
    hq_res = huiqi_totals(kept_out, PROVISIONS)
    print("\ncross-check (eligible claims / total fen):\n")
    print("| provision | OpenFisca | DuckDB ten rules | huiqi screen | agree |\n|---|---:|---:|---:|---|")
    agree = True
    for pid in PROVISIONS:
        a, b, c = of_res[pid], ddb_res[pid], hq_res[pid]
        same = a == b == c
        agree &= same
        cells = " | ".join(f"{x[0]:,} / {x[1]:,}" for x in (a, b, c))
        print(f"| {pid} | {cells} | {'yes' if same else 'NO'} |")
    total = [sum(x[i] for x in of_res.values()) for i in (0, 1)]
    print(f"\nten rules: {total[0]:,} claims, {total[1]:,} fen; "
          + ("OpenFisca = DuckDB = huiqi on every provision" if agree else "DIFFERENCES above"))
    shutil.rmtree(work, ignore_errors=True)
    if not agree:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
