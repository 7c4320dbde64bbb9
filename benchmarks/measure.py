"""What every benchmark shares: a measured figure, timing, process memory, the machine.

A `Figure` is one line of RESULTS.md: the runs behind it (their median is the figure),
the same work done the naive way when there is one, and the target it is held to.
"""
from __future__ import annotations

import multiprocessing
import os
import platform
import queue
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

PACKAGES = ["streamlit", "pandas", "numpy", "pyarrow", "duckdb", "geopandas", "shapely",
            "plotly", "playwright"]


@dataclass
class Target:
    """A bound the figure must stay at or under, in the figure's unit; or, with `on_ratio`,
    a ratio to the naive way (naive ÷ ours) the figure must reach or pass."""

    limit: float
    text: str               # as written in the issue, e.g. "≤ 20 s", "≥ 2× sjoin"
    on_ratio: bool = False

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value >= self.limit if self.on_ratio else value <= self.limit


@dataclass
class Figure:
    name: str
    unit: str                           # "s", "ms", "MB", "rows/s"
    runs: list[float] = field(default_factory=list)
    naive: float | None = None          # the same work done the naive way (same unit)
    naive_note: str = ""                # how the naive figure was obtained
    target: Target | None = None
    note: str = ""                      # anything a reader must know (one run only, …)
    higher_is_better: bool = False      # rows/s: the naive ratio is inverted
    stopped: bool = False               # the work was stopped before it finished: a miss
    details: dict = field(default_factory=dict)   # numbers behind the note, for the plans

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None

    @property
    def ratio(self) -> float | None:
        """How many times better than naive (naive time ÷ our time)."""
        if self.median is None or self.naive is None or self.median == 0 or self.naive == 0:
            return None
        return self.median / self.naive if self.higher_is_better else self.naive / self.median

    @property
    def met(self) -> bool | None:
        if self.target and self.stopped and not self.runs:
            return False
        if not self.target:
            return None
        return self.target.met(self.ratio if self.target.on_ratio else self.median)


@dataclass
class Section:
    """One table of RESULTS.md."""

    title: str
    intro: str
    figures: list[Figure] = field(default_factory=list)
    skipped: str = ""                   # why the section was not measured, if it was not
    misses: list[str] = field(default_factory=list)   # missed targets: why, what would meet them


def seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def milliseconds(work: Callable[[], object]) -> float:
    return seconds(work) * 1000


# ----------------------------------------------------------------------------- memory

def proc_kb(path: str, key: str) -> int:
    """A `/proc` file's value in kB (`VmRSS` of `/proc/<pid>/status`…); 0 if it is gone."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Ids of the process's children, their children, and so on."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def rss_mb(pid: int, with_children: bool = True) -> float:
    """Resident memory (VmRSS) of a process, plus its descendants', in MB."""
    pids = [pid, *(descendants(pid) if with_children else [])]
    return sum(proc_kb(f"/proc/{p}/status", "VmRSS") for p in pids) / 1024


def stop_reason(pid: int, deadline: float, memory_limit_mb: float) -> str:
    """Why a child process must be stopped now ('' while it may go on)."""
    if time.monotonic() > deadline:
        return "still running at its time limit"
    if rss_mb(pid) > memory_limit_mb:
        return f"over {memory_limit_mb / 1024:,.0f} GB of memory"
    return ""


class Stopped(Exception):
    """Work done in a child process was stopped (time, memory) or failed; the message says which."""


def in_child(function: Callable, *args, timeout: float, memory_limit_mb: float):
    """`function(*args)` in a fresh Python process, stopped past the limits (the machine is
    shared); returns its result or raises `Stopped`."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_call, args=(results, function, args), daemon=True)
    child.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                ok, value = results.get(timeout=0.2)
                break
            except queue.Empty:
                reason = stop_reason(child.pid, deadline, memory_limit_mb)
                if reason or not child.is_alive():
                    raise Stopped(reason or f"the process ended (exit code {child.exitcode})")
    finally:
        if child.is_alive():
            child.kill()
        child.join()
    if not ok:
        raise Stopped(f"failed: {value}")
    return value


def _call(results, function: Callable, args: tuple) -> None:
    try:
        results.put((True, function(*args)))
    except Exception as error:   # sent back to the parent, which reports it
        results.put((False, f"{type(error).__name__}: {error}"[:300]))


# ----------------------------------------------------------------------------- machine

def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _chromium_version() -> str:
    try:
        out = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True,
                             text=True, timeout=20)
        return out.stdout.strip() or "not found"
    except (OSError, subprocess.TimeoutExpired):
        return "not found"


def machine() -> dict[str, str]:
    """The facts a reader needs to compare these figures with theirs."""
    mem_kb = proc_kb("/proc/meminfo", "MemTotal")
    info = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cores (nproc)": str(os.cpu_count()),
            "memory (MemTotal)": f"{mem_kb / 1024 / 1024:.1f} GB",
            "CPU": _cpu_model(), "OS": f"{platform.system()} {platform.release()}",
            "Python": platform.python_version()}
    for name in PACKAGES:
        try:
            info[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            info[name] = "not installed"
    info["chromium"] = _chromium_version()
    return info

