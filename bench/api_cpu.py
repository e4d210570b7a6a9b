"""CPU per POST /api/v1/evaluate request inside the app, without an HTTP server or a load generator.

    .venv/bin/python bench/api_cpu.py [--root CHECKOUT] [--against BASELINE_CHECKOUT] [--rounds 3]
                                      [--requests 400] [--query detail=full] [--gzip]

Each checkout runs in a fresh process (``--rounds`` times, in turn with ``--against``): the app as ``huiqi serve``
builds it (``server_app``), 300 requests to warm it, then five batches of ``--requests`` through its ASGI
interface (every middleware, FastAPI's body and query handling, the route, the answer's JSON); the figure is the
thread's CPU time per request, least of the five batches. On a machine shared with other work this moves far
less than wall-clock figures (bench/api_load.py): use it to compare two checkouts; api_load.py says what the
service sustains.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

CHILD = r'''
import asyncio, json, os, sys, tempfile, time
root, query, gzip, n = sys.argv[1], sys.argv[2].encode(), sys.argv[3] == "1", int(sys.argv[4])
sys.path.insert(0, root)
os.chdir(root)
os.environ["HUIQI_DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='huiqi-api-cpu-')}/huiqi.db"
from huiqi.api.app import server_app
app = server_app()
profile = json.load(open(sys.argv[5], encoding="utf-8"))
body = json.dumps({"profile": profile, "as_of": "2024-10-01"}, ensure_ascii=False).encode()
headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
if gzip:
    headers.append((b"accept-encoding", b"gzip"))
scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
         "path": "/api/v1/evaluate", "raw_path": b"/api/v1/evaluate", "query_string": query, "root_path": "",
         "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
answer = {}

async def one():
    given = False
    async def receive():
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
    parts = []
    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            parts.append(message.get("body", b""))
    await app(dict(scope), receive, send)
    answer["size"] = sum(map(len, parts))

async def batch(k):
    for _ in range(k):
        await one()

loop = asyncio.new_event_loop()
loop.run_until_complete(batch(300))
cpu = []
for _ in range(5):
    t = time.thread_time()
    loop.run_until_complete(batch(n))
    cpu.append((time.thread_time() - t) / n * 1e6)
print(json.dumps({"status": answer["status"], "size": answer["size"], "cpu_us": cpu, "load": os.getloadavg()[0]}))
'''


def measure(root: Path, query: str, gzip: bool, requests: int) -> dict:
    import json

    out = subprocess.run([sys.executable, "-c", CHILD, str(root.resolve()), query, "1" if gzip else "0", str(requests),
                          str(HERE / "examples/industrial-small-to-scale.json")],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, default=HERE)
    ap.add_argument("--against", type=Path, default=None, help="a baseline checkout, measured in turn with --root")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=400, help="requests in each of the five measured batches")
    ap.add_argument("--query", default="")
    ap.add_argument("--gzip", action="store_true")
    args = ap.parse_args()
    roots = [args.root] + ([args.against] if args.against else [])
    best: dict[Path, list[float]] = {root: [] for root in roots}
    for i in range(args.rounds):
        for root in roots if i % 2 == 0 else roots[::-1]:
            r = measure(root, args.query, args.gzip, args.requests)
            best[root].append(min(r["cpu_us"]))
            print(f"round {i + 1} {root}: status {r['status']}, {r['size']} B, CPU µs a request "
                  f"{' '.join(f'{c:.0f}' for c in r['cpu_us'])} (least {min(r['cpu_us']):.0f}), load average "
                  f"{r['load']:.2f}", flush=True)
    for root, values in best.items():
        values.sort()
        print(f"median of the rounds' least: {root}: {values[len(values) // 2]:.0f} µs a request")
    if args.against:
        a, b = (sorted(best[r])[len(best[r]) // 2] for r in roots)
        print(f"ratio {roots[0]} / {roots[1]}: {a / b:.3f}")


if __name__ == "__main__":
    main()
