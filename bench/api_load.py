"""Throughput and latency of POST /api/v1/evaluate under 50 keep-alive connections.

    .venv/bin/python bench/api_load.py [--workers 2] [--seconds 20] [--clients 50] [--query detail=full]
                                       [--gzip] [--server serve|uvicorn] [--root OTHER_CHECKOUT] [--tool wrk|httpx]
                                       [--against BASELINE_CHECKOUT --rounds 3]

Starts the service as `huiqi serve --workers N` (or `uvicorn huiqi.api.app:create_app --factory --workers N`,
for a checkout whose `serve` has no --workers) from ``--root`` on a free port, with a database of its own,
waits until it answers, warms it up, then drives it with `wrk` (bench/api_wrk.lua) when it is installed, else
with asyncio + httpx clients, and prints evaluations/s and the p50/p99 latency. The load generator runs on the
same 2-core machine and takes CPU from the server (httpx far more than wrk): the figures are a floor.
With ``--against`` a second checkout is measured in turn, round after round, and the medians are printed: on
a shared machine compare those, and the server's CPU per evaluation, rather than single figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parents[1]
PROFILE = HERE / "examples/industrial-small-to-scale.json"


def cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (the uvicorn workers), from /proc: on a
    machine shared with other work, the server's CPU per evaluation moves far less than its wall-clock rate."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    family, total = {root_pid}, 0.0
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                changed = True
    return sum(times.get(pid, 0.0) for pid in family)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def body(profile: Path = PROFILE) -> bytes:
    data = json.loads(profile.read_text(encoding="utf-8"))
    return json.dumps({"profile": data, "as_of": "2024-10-01"}, ensure_ascii=False).encode()


async def client(url: str, payload: bytes, headers: dict, until: float, lat: list[float], errors: list[int]) -> None:
    async with httpx.AsyncClient(timeout=30, headers=headers) as c:
        while time.perf_counter() < until:
            t = time.perf_counter()
            r = await c.post(url, content=payload)
            lat.append(time.perf_counter() - t)
            if r.status_code != 200:
                errors.append(r.status_code)


async def drive(url: str, payload: bytes, headers: dict, clients: int, seconds: float):
    lat: list[float] = []
    errors: list[int] = []
    until = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(client(url, payload, headers, until, lat, errors) for _ in range(clients)))
    return lat, errors, time.perf_counter() - start


def with_httpx(url: str, gzip: bool, clients: int, seconds: float) -> dict:
    headers = {"content-type": "application/json", "accept-encoding": "gzip" if gzip else "identity"}
    lat, errors, wall = asyncio.run(drive(url, body(), headers, clients, seconds))
    lat.sort()
    return {"requests": len(lat), "errors": f"{len(errors)} non-2xx", "seconds": wall, "rps": len(lat) / wall,
            "p50_ms": lat[len(lat) // 2] * 1e3, "p99_ms": lat[int(len(lat) * .99)] * 1e3}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}[unit]


def with_wrk(url: str, gzip: bool, clients: int, seconds: float) -> dict:
    env = {**os.environ, "EVALUATE_PROFILE": str(PROFILE), "EVALUATE_GZIP": "1" if gzip else "0"}
    script = str(HERE / "bench/api_wrk.lua")
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "-s", script, url],
                         env=env, check=True, capture_output=True, text=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"requests": requests, "errors": f"{int(bad.group(1)) if bad else 0} non-2xx, "
            f"{sum(map(int, socket_errors.groups())) if socket_errors else 0} socket errors or timeouts",
            "seconds": seconds, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
            "p99_ms": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))}


def server_command(kind: str, port: int, workers: int | None) -> list[str]:
    if kind == "serve":
        return [sys.executable, "-m", "huiqi.cli", "serve", "--port", str(port),
                *(["--workers", str(workers)] if workers else [])]
    return [sys.executable, "-m", "uvicorn", "huiqi.api.app:create_app", "--factory", "--port", str(port),
            "--workers", str(workers or 1), "--log-level", "warning", "--no-access-log"]


def run(args, root: Path) -> dict:
    """One server from ``root``, warmed up, then measured: the figures and the server's CPU per evaluation."""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="huiqi-api-load-")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root.resolve()), os.environ.get("PYTHONPATH")])),
           "HUIQI_DATABASE_URL": f"sqlite:///{workdir}/huiqi.db"}
    server = subprocess.Popen(server_command(args.server, port, args.workers), cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/v1/evaluate" + (f"?{args.query}" if args.query else "")
    try:
        size = None
        for _ in range(300):
            try:
                r = httpx.post(url, content=body(), headers={"content-type": "application/json",
                                                              "accept-encoding": "gzip" if args.gzip else "identity"})
                if r.status_code == 200:
                    size = len(r.content), int(r.headers.get("content-length", len(r.content)))
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            sys.exit("the server did not answer")
        measure = with_wrk if args.tool == "wrk" else with_httpx
        measure(url, args.gzip, args.clients, 3)  # warm-up
        load = os.getloadavg()[0]
        cpu = cpu_seconds(server.pid)
        result = measure(url, args.gzip, args.clients, args.seconds)
        cpu = cpu_seconds(server.pid) - cpu
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    result["cpu_ms"] = cpu * 1e3 / max(result["requests"], 1)
    print(f"{args.label or root.name} server={args.server} workers={args.workers or 'default'} "
          f"query={args.query or '-'} gzip={args.gzip} tool={args.tool} clients={args.clients} "
          f"requests={result['requests']} errors={result['errors']} answer={size[0]} B (sent {size[1]} B) "
          f"load average {load:.2f}")
    print(f"throughput {result['rps']:.0f} evaluations/s; latency p50 {result['p50_ms']:.1f} ms, "
          f"p99 {result['p99_ms']:.1f} ms; server CPU {result['cpu_ms']:.2f} ms an evaluation", flush=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=None, help="server processes (default: serve's own default)")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--query", default="", help="query string of the evaluate URL, e.g. detail=full&lang=en")
    ap.add_argument("--gzip", action="store_true", help="ask for a compressed answer (Accept-Encoding: gzip)")
    ap.add_argument("--server", choices=("serve", "uvicorn"), default="serve")
    ap.add_argument("--root", type=Path, default=HERE, help="the checkout to serve (e.g. a worktree of a baseline)")
    ap.add_argument("--against", type=Path, default=None,
                    help="a second checkout (e.g. `git worktree add /tmp/base HEAD~3`), measured in turn with --root")
    ap.add_argument("--rounds", type=int, default=1, help="rounds; with --against each round runs both, in turn")
    ap.add_argument("--tool", choices=("wrk", "httpx"), default="wrk" if shutil.which("wrk") else "httpx")
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    roots = [args.root] + ([args.against] if args.against else [])
    runs: dict[Path, list[dict]] = {root: [] for root in roots}
    for i in range(args.rounds):
        for root in roots if i % 2 == 0 else roots[::-1]:  # alternate who goes first: the load drifts
            runs[root].append(run(args, root))
    if args.rounds > 1 or args.against:
        def median(values):
            values = sorted(values)
            return values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2

        print(f"medians of {args.rounds} rounds:")
        for root, results in runs.items():
            print(f"  {root}: {median([r['rps'] for r in results]):.0f} evaluations/s, p50 "
                  f"{median([r['p50_ms'] for r in results]):.1f} ms, p99 {median([r['p99_ms'] for r in results]):.1f} ms, "
                  f"server CPU {median([r['cpu_ms'] for r in results]):.2f} ms an evaluation")


if __name__ == "__main__":
    main()
