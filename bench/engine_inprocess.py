"""In-process speed of the entitlement engine: one applicant against every provision, with explanations.

    .venv/bin/python bench/engine_inprocess.py [--n 5000] [--busy 2] [--rounds 1]

Prints p10/p50/p99 per evaluation (wall clock; and the CPU time's p50/p99) for three profiles (an enterprise with seven events, an individual
buying a car, an empty enterprise), then the cost of validating a profile, evaluating it and rendering
the whole answer as JSON (every explanation worded, both languages). ``--busy N`` runs N other processes
evaluating at the same time (a loaded server: the tail under load). The policy is readied as a server
readies it (:func:`huiqi.engine.plan.prepare`: compiled, the calculator's judges laid out, then frozen out of the
garbage collector). On a loaded machine compare builds by their instructions instead
(bench/engine_instructions.py, callgrind). Results are written down in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import multiprocessing as mp
import statistics
import time
from pathlib import Path

from huiqi.catalogue import get_policy
from huiqi.engine.evaluate import evaluate
from huiqi.profile.model import Profile
from huiqi.rules.loader import dumps

try:  # the readying step (gc.freeze after loading); absent in builds before it, which the bench also measures
    from huiqi.engine.plan import prepare
except ImportError:  # pragma: no cover
    prepare = None

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2024, 10, 1)
PROFILES = {
    "enterprise_7_events": json.loads((ROOT / "examples/industrial-small-to-scale.json").read_text(encoding="utf-8")),
    "individual_nev": {"kind": "individual", "name": "张三",
                       "vehicles": [{"date": "2024-05-01", "price_incl_vat": "226000.00", "new_energy": True}]},
    "enterprise_no_events": {"kind": "enterprise", "name": "空白企业", "credit_code": "91530100MA6K3YXF8W", "industry": "6513"},
}


def timings(fn, n: int, cpu: list[float] | None = None) -> list[float]:
    """Wall-clock seconds per call, sorted; ``cpu``, when given, gets the thread's CPU seconds per call (sorted):
    on a loaded machine the wall clock's tail is mostly time spent waiting for a processor, the CPU time's tail
    is the process's own (a garbage collection, a cache refilled)."""
    for _ in range(min(200, n)):
        fn()
    out = []
    clock, cpu_clock = time.perf_counter, time.thread_time
    for _ in range(n):
        c = cpu_clock()
        t = clock()
        fn()
        out.append(clock() - t)
        if cpu is not None:
            cpu.append(cpu_clock() - c)
    out.sort()
    if cpu is not None:
        cpu.sort()
    return out


def pct(ts: list[float], q: float) -> float:
    return ts[min(len(ts) - 1, int(q * len(ts)))] * 1e3


class GcPauses:
    """The cyclic garbage collector's pauses while the evaluations ran, per generation (count, longest): a full
    collection walks every object the process holds — the loaded policy too, unless it was frozen."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.longest = [0.0, 0.0, 0.0]
        self._t = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            g = info["generation"]
            self.count[g] += 1
            self.longest[g] = max(self.longest[g], time.perf_counter() - self._t)

    def __str__(self) -> str:
        return ", ".join(f"gen{g} {self.count[g]}× ≤{self.longest[g] * 1e3:.2f} ms" for g in range(3))


def _busy(stop) -> None:
    """Another process answering applicants (as a server's other worker would), until told to stop."""
    policy = get_policy()
    profile = Profile.model_validate(PROFILES["enterprise_7_events"])
    while not stop.is_set():
        dumps(evaluate(policy, profile, AS_OF).as_dict())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--busy", type=int, default=0, help="other processes evaluating meanwhile (load)")
    args = ap.parse_args()
    n = args.n
    policy = get_policy()
    if prepare is not None:
        prepare(policy)
    stop = mp.Event()
    workers = [mp.Process(target=_busy, args=(stop,), daemon=True) for _ in range(args.busy)]
    for w in workers:
        w.start()
    try:
        provisions = sum(len(m.provisions) for m in policy.measures)
        print(f"policy {policy.version}: {provisions} provisions; n={n} per row; times in ms; busy={args.busy}")
        print(f"{'profile':24} {'results':>7} {'eval p10':>9} {'eval p50':>9} {'eval p99':>9} {'+validate+json p50':>19}"
              f" {'cpu p50':>8} {'cpu p99':>8}")
        pauses = GcPauses()
        gc.callbacks.append(pauses)
        for name, raw in PROFILES.items():
            profile = Profile.model_validate(raw)
            results = len(evaluate(policy, profile, AS_OF).results)
            cpu: list[float] = []
            ev = timings(lambda: evaluate(policy, profile, AS_OF), n, cpu)
            full = timings(lambda: dumps(evaluate(policy, Profile.model_validate(raw), AS_OF).as_dict()), max(200, n // 5))
            print(f"{name:24} {results:7d} {pct(ev, .1):9.3f} {pct(ev, .5):9.3f} {pct(ev, .99):9.3f} {pct(full, .5):19.3f}"
                  f" {pct(cpu, .5):8.3f} {pct(cpu, .99):8.3f}")
        gc.callbacks.remove(pauses)
        print(f"(mean of the last row: {statistics.mean(ev) * 1e3:.3f} ms)")
        print(f"garbage collector during the runs: {pauses}")
    finally:
        stop.set()
        for w in workers:
            w.join(5)


if __name__ == "__main__":
    main()
