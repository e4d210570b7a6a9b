"""Progress of a long CLI job: a bar that moves on a terminal, a plain line per stage in a log.

Why both: an official at a terminal wants to see the job moving; a scheduled run (cron, CI, ``nohup``) writes
stderr to a file, where a redrawn bar is noise and a line per stage with the seconds so far is the record.
The job itself only calls ``tick(stage, done, total)``; it never knows which of the two it feeds.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator

Tick = Callable[..., None]  # tick(stage: str, done: int | None = None, total: int | None = None)


@contextmanager
def stage_progress(title: str, total: int | None = None, console=None, stream=None) -> Iterator[Tick]:
    """``with stage_progress("合成登记册 synth", total=30) as tick: ... tick("entities", 1, 30)``.
    On a terminal: a rich bar (stage, done/total, time). Otherwise: one line per new stage on stderr."""
    stream = stream or sys.stderr
    if not stream.isatty():
        start = time.perf_counter()
        last: list[str] = []

        def line(stage: str, done: int | None = None, of: int | None = None) -> None:
            if last and last[-1] == stage:
                return
            last.append(stage)
            count = f" {done}/{of or total}" if done is not None and (of or total) else ""
            print(f"{title}: {stage}{count} ({time.perf_counter() - start:.1f} s)", file=stream, flush=True)

        yield line
        print(f"{title}: 完成 done ({time.perf_counter() - start:.1f} s)", file=stream, flush=True)
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task(title, total=total)
        count = [0]

        def advance(stage: str, done: int | None = None, of: int | None = None) -> None:
            count[0] = done if done is not None else count[0] + 1
            bar.update(task, completed=count[0], total=of or total, description=f"{title} · {stage}")

        yield advance
        bar.update(task, completed=bar.tasks[0].total or count[0], description=f"{title} · 完成 done")
