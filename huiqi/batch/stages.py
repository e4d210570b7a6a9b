"""Stages of ``screen``, ``simulate`` and ``offers`` with row counts and the running query's own progress.

On a terminal a bar moves through the stages, and within a stage with the running query's own progress
(DuckDB's ``query_progress``, polled by :func:`watching`); each stage's counts are shown beside it as they
become known. When stderr is not a terminal (a log file, a scheduler's output) there is no bar: one plain
line per stage and per count, with the seconds since the job began.

The job calls the reporter as ``progress(stage)`` when a stage begins, ``progress(stage, rows={…})`` when
its counts are known and ``progress(stage, percent=…)`` as its query moves; a reporter that takes only the
stage (the Spark engine's) is told only that.
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from typing import Callable, TextIO

READ_AND_CHECK = ("读取登记册 reading", "校验 checking rows")  # how every job over a registry begins
SCREEN_STAGES = READ_AND_CHECK + ("筛查 screening", "资金池 pools", "写出 writing")
SIMULATE_STAGES = READ_AND_CHECK + ("基线筛查 baseline", "调整后筛查 scenario", "写出 writing")
SYNTH_STAGES = ("生成 drawing", "写出 writing")
OFFERS_STAGES = READ_AND_CHECK + ("筛查 screening", "生成事项 offers")
DONE = "完成 done"


def counted(rows: dict[str, int]) -> str:
    """``{"主体 entities": 1000000}`` → ``主体 entities 1,000,000`` (counts joined by "，")."""
    return "，".join(f"{label} {n:,}" for label, n in rows.items())


class Stages:
    """The reporter: a context manager (the bar is drawn while it is open) and a callable."""

    def __init__(self, stages: tuple[str, ...], stream: TextIO | None = None, terminal: bool | None = None):
        self.stages = stages
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.begun = time.perf_counter()
        self.current = 0
        self.started = False  # the first stage's line is written once, however often it is told
        self.counts: dict[str, str] = {}
        self.lock = threading.Lock()
        self._bar = None

    def __enter__(self) -> "Stages":
        if self.terminal:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                                 TimeElapsedColumn(), console=Console(file=self.stream, highlight=False),
                                 transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.stages[0], total=100 * len(self.stages))
        return self

    def __exit__(self, kind, value, tb) -> None:
        if self._bar is not None:
            if kind is None:
                self._bar.update(self._task, completed=100 * len(self.stages), description=DONE)
            self._bar.__exit__(kind, value, tb)
        elif kind is None:
            self._line(DONE)

    def __call__(self, stage: str, rows: dict[str, int] | None = None, percent: float | None = None) -> None:
        with self.lock:
            if stage in self.stages:
                new = self.stages.index(stage)
                began = new != self.current or (not self.started and rows is None and percent is None)
                self.current = new
                self.started = self.started or began
            else:
                began = False
            if rows:
                self.counts[stage] = counted(rows)
            description = stage + (f"：{self.counts[stage]}" if stage in self.counts else "")
            if self._bar is not None:
                done = 100 * self.current + (min(max(percent, 0.0), 100.0) if percent is not None else 0.0)
                self._bar.update(self._task, completed=done, description=description)
            elif percent is None and (began or rows):
                self._line(description)

    def _line(self, text: str) -> None:
        self.stream.write(f"[{time.perf_counter() - self.begun:7.1f} s] {text}\n")
        self.stream.flush()


def tell(progress: Callable | None, stage: str, rows: dict[str, int] | None = None,
         percent: float | None = None) -> None:
    """Tell ``progress`` (if any) of a stage; a reporter that takes only the stage gets only the stage."""
    if progress is None:
        return
    if rows is None and percent is None:
        progress(stage)
        return
    try:
        progress(stage, rows=rows, percent=percent)
    except TypeError:
        if rows is not None:
            progress(stage)


@contextmanager
def watching(con, progress: Callable | None, stage: str, every: float = 0.25):
    """While the block runs, tell ``progress`` how far DuckDB's running query has got (a moving bar)."""
    if progress is None:
        yield
        return
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(every):
            try:
                done = con.query_progress()
            except Exception:  # the connection is between statements or closing: nothing to tell
                continue
            if done is not None and done >= 0:
                tell(progress, stage, percent=done)

    thread = threading.Thread(target=poll, name="huiqi-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def by_step(progress: Callable, stages: tuple[str, ...]) -> Callable[[str, int, int], None]:
    """For a job that counts its steps (``synth``: each table drawn, then each written) — ``tick(label, done,
    total)`` — tell ``progress`` the stage the label begins with and how far into it the job is."""
    def tick(label: str, done: int, total: int) -> None:
        stage = next((s for s in stages if label.startswith(s)), stages[0])
        index, per_stage = stages.index(stage), max(total / len(stages), 1)
        tell(progress, stage)  # a new stage: its line in a log
        tell(progress, stage, percent=100 * min(max(done - index * per_stage, 0) / per_stage, 1))
    return tick
