"""Instructions per evaluation of the entitlement engine, counted by valgrind's callgrind — stable on a loaded
machine, where wall-clock percentiles are not (issue 16).

    .venv/bin/python bench/engine_instructions.py [--n 200] [--profile enterprise_7_events …]
    PYTHONPATH=/tmp/engine-base .venv/bin/python bench/engine_instructions.py   # another build, the same way

Each profile of bench/engine_inprocess.py is evaluated in a fresh process under callgrind with instrumentation
off until the timed loop (a two-line C shim, compiled here with the system's valgrind headers, turns it on and
off through callgrind's client requests): the count is the loop's instructions over ``n``, start-up and
loading left out. Needs valgrind, its headers (valgrind/callgrind.h) and a C compiler.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

SHIM = """#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void cg_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""

CHILD = """
import ctypes, sys
sys.path.append({bench!r})
import huiqi
print("huiqi from", huiqi.__file__)
from engine_inprocess import AS_OF, PROFILES, prepare
from huiqi.catalogue import get_policy
from huiqi.engine.evaluate import evaluate
from huiqi.profile.model import Profile
shim = ctypes.CDLL({shim!r})
policy = get_policy()
if prepare is not None:
    prepare(policy)
profile = Profile.model_validate(PROFILES[{name!r}])
for _ in range(50):
    evaluate(policy, profile, AS_OF)
shim.cg_start()
for _ in range({n}):
    evaluate(policy, profile, AS_OF)
shim.cg_stop()
"""


def count(name: str, n: int, shim: Path) -> tuple[int, str]:
    """The instructions of ``n`` evaluations of profile ``name`` (callgrind's collected count) and where the child
    found huiqi. The child runs in
    the shim's folder: ``python -c`` puts its working directory first on the path, which must not be a checkout
    (PYTHONPATH chooses the build)."""
    code = CHILD.format(bench=str(Path(__file__).parent), shim=str(shim), name=name, n=n)
    run = subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null",
                          sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy(),
                         cwd=shim.parent)
    found = re.search(r"Collected\s*:\s*([\d,]+)", run.stderr)
    if run.returncode != 0 or not found:
        raise SystemExit(f"callgrind failed for {name}:\n{run.stderr[-2000:]}")
    return int(found.group(1).replace(",", "")), run.stdout.strip()


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from engine_inprocess import PROFILES

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200, help="evaluations counted per profile")
    ap.add_argument("--profile", action="append", choices=sorted(PROFILES), help="one profile (again for more)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src, shim = Path(tmp) / "shim.c", Path(tmp) / "shim.so"
        src.write_text(SHIM)
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", str(shim), str(src)], check=True)
        print(f"{'profile':24} {'instructions per evaluation':>28}")
        for name in args.profile or list(PROFILES):
            instructions, said = count(name, args.n, shim)
            print(f"{name:24} {instructions / args.n:28,.0f}   ({said})")


if __name__ == "__main__":
    main()
