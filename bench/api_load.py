"""Throughput and latency of POST /api/v1/evaluate under 50 concurrent clients.

    .venv/bin/python bench/api_load.py [--workers 2] [--seconds 20] [--clients 50]

Starts `uvicorn huiqi.api.app:create_app --factory` with the given workers on a free port, drives it
with asyncio + httpx clients (keep-alive), and prints requests/s and p50/p99 latency. The load
generator runs on the same 2-core machine and takes CPU from the server: the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def client(url: str, body: bytes, until: float, lat: list[float], errors: list[int]) -> None:
    async with httpx.AsyncClient(timeout=30) as c:
        while time.perf_counter() < until:
            t = time.perf_counter()
            r = await c.post(url, content=body, headers={"content-type": "application/json"})
            lat.append(time.perf_counter() - t)
            if r.status_code != 200:
                errors.append(r.status_code)


async def drive(url: str, body: bytes, clients: int, seconds: float):
    lat: list[float] = []
    errors: list[int] = []
    until = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(client(url, body, until, lat, errors) for _ in range(clients)))
    return lat, errors, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=50)
    args = ap.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "huiqi.api.app:create_app", "--factory", "--port", str(port),
         "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"], cwd=ROOT)
    url = f"http://127.0.0.1:{port}/api/v1/evaluate"
    profile = json.loads((ROOT / "examples/industrial-small-to-scale.json").read_text(encoding="utf-8"))
    body = json.dumps({"profile": profile, "as_of": "2024-10-01"}, ensure_ascii=False).encode()
    try:
        for _ in range(100):
            try:
                if httpx.post(url, content=body, headers={"content-type": "application/json"}).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        asyncio.run(drive(url, body, args.clients, 3))  # warm-up
        lat, errors, wall = asyncio.run(drive(url, body, args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait()
    lat.sort()
    print(f"workers={args.workers} clients={args.clients} seconds={wall:.1f} requests={len(lat)} errors={len(errors)}")
    print(f"throughput {len(lat) / wall:.0f} evaluations/s; latency p50 {lat[len(lat) // 2] * 1e3:.1f} ms, "
          f"p99 {lat[int(len(lat) * .99)] * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
