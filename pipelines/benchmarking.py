"""Measuring one call in a fresh Python process: what the ``make bench`` figures (generation, ingestion) rest on.

A fresh process per measurement, so that its peak memory is that call's alone. The child runs
``python -m pipelines.benchmarking module:function arg…``: it imports the module (not timed), calls the function
with the string arguments, and prints one JSON line: the function's own figures (the dict it returns) with wall
and CPU time and peak memory. Given only ``module``, the child just imports it (what a run pays before any work).
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 4 / 1024


class BenchmarkFailed(RuntimeError):
    pass


def measured_call(
    target: str, args: tuple[str, ...] = (), env: dict[str, str] | None = None, sample_tree: bool = False
) -> dict:
    """Run ``target`` (``"module:function"``, or ``"module"`` to import only) on ``args`` in a fresh process.

    Returns the function's figures plus ``seconds`` (wall, of the call), ``cpu_seconds`` (user + system of the
    child and its worker processes), ``peak_mb`` (the child's own peak resident set), ``child_peak_mb`` (the
    largest of its workers'), ``load`` (the 1-minute load average at the end, to judge how busy the machine was).
    ``sample_tree`` also samples the whole process tree's memory from this process (so the sampling is not charged
    to the child's CPU): ``tree_rss_mb`` (pages shared between forked processes counted once per process) and
    ``tree_pss_mb`` (counted once in all).
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.benchmarking", target, *args],
            stdout=out,
            stderr=err,
            text=True,
            env=env,
        )
        tree = _watch(proc) if sample_tree else {}
        proc.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise BenchmarkFailed(f"{target} {' '.join(args)}: exit {proc.returncode}: {stderr.strip()[-2000:]}")
    return tree | json.loads(stdout.strip().splitlines()[-1])


def _own_peak_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork+exec.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(target: str, args: list[str]) -> dict:
    """In the child: call ``target`` and measure it."""
    module, _, name = target.partition(":")
    imported = importlib.import_module(module)
    started = time.perf_counter()
    figures = getattr(imported, name)(*args) if name else {}
    seconds = time.perf_counter() - started
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": seconds,
        "cpu_seconds": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
        "peak_mb": _own_peak_mb(),
        "child_peak_mb": kids.ru_maxrss / 1024,
        "load": os.getloadavg()[0],
    } | figures


def _tree(pid: int) -> list[int]:
    try:
        return [pid] + [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return [pid]


def _rss_mb(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE_MB
        except (OSError, IndexError, ValueError):
            pass
    return total


def _pss_mb(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) / 1024
        except (OSError, IndexError, ValueError):
            pass
    return total


def _watch(proc: subprocess.Popen) -> dict[str, float]:
    """Peak RSS (every 0.5 s, cheap) and PSS (every 5 s: reading it walks the page tables) of the process tree."""
    peak_rss = peak_pss = 0.0
    k = 0
    while proc.poll() is None:
        pids = _tree(proc.pid)
        peak_rss = max(peak_rss, _rss_mb(pids))
        if k % 10 == 0:
            peak_pss = max(peak_pss, _pss_mb(pids))
        k += 1
        time.sleep(0.5)
    return {"tree_rss_mb": peak_rss, "tree_pss_mb": peak_pss}


if __name__ == "__main__":
    print(json.dumps(_measure(sys.argv[1], sys.argv[2:])))
