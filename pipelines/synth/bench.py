"""Generation time and peak memory per scale, for ``make bench``.

Each scale runs in a fresh Python process so that peak memory (max RSS) is that scale's alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import datetime as dt, json, os, resource, sys, time
from pipelines.synth import generate
t0 = time.perf_counter()
m = generate(sys.argv[1], int(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]), sys.argv[4],
             workers=int(sys.argv[5]) if sys.argv[5] != "-" else None)
wall = time.perf_counter() - t0
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": wall,
                  "cpu_seconds": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                  "peak_mb": me.ru_maxrss / 1024, "child_peak_mb": kids.ru_maxrss / 1024,
                  "load": os.getloadavg()[0],
                  "files": m["counts"]["files"], "rows": sum(m["counts"]["rows"].values()),
                  "pupil_years": m["counts"]["pupil_years"], "schools": m["counts"]["schools"]}))
"""
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 4 / 1024


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


def _watch(proc: subprocess.Popen) -> tuple[float, float]:
    """Peak RSS (every 0.5 s, cheap) and PSS (every 5 s: reading it walks the page tables) of the process tree.

    Sampled from here, so the cost is not charged to the generator's CPU time.
    """
    peak_rss = peak_pss = 0.0
    k = 0
    while proc.poll() is None:
        pids = _tree(proc.pid)
        peak_rss = max(peak_rss, _rss_mb(pids))
        if k % 10 == 0:
            peak_pss = max(peak_pss, _pss_mb(pids))
        k += 1
        time.sleep(0.5)
    return peak_rss, peak_pss


def run(
    scales: tuple[str, ...] = ("tiny", "demo"),
    seed: int = 1,
    as_of: dt.date = dt.date(2026, 11, 28),
    out_dir: Path | None = None,
    workers: int | None = None,
) -> list[dict]:
    """Generate each scale once; print and return time (wall and CPU), peak memory and volume per scale.

    CPU is user + system time of the generator and its worker processes; memory is the largest resident set of
    one process (parent, worker) and the sampled peak of the whole process tree (RSS counts pages shared between
    the forked processes once per process, PSS once in all; sampled by this process, not the generator);
    ``load`` is the 1-minute load average at the end, to judge how busy the machine was.
    """
    results = []
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        base = Path(out_dir) if out_dir else Path(tmp)
        for scale in scales:
            out = base / scale
            with tempfile.TemporaryFile("w+") as so, tempfile.TemporaryFile("w+") as se:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        _CHILD,
                        scale,
                        str(seed),
                        as_of.isoformat(),
                        str(out),
                        str(workers) if workers else "-",
                    ],
                    stdout=so,
                    stderr=se,
                    text=True,
                )
                tree_rss, tree_pss = _watch(proc)
                so.seek(0)
                se.seek(0)
                stdout, stderr = so.read(), se.read()
            if proc.returncode != 0:
                raise RuntimeError(
                    f"Генерация масштаба {scale} завершилась с ошибкой: {stderr.strip().splitlines()[-1:]}"
                )
            r = {"scale": scale, "tree_rss_mb": tree_rss, "tree_pss_mb": tree_pss} | json.loads(
                stdout.strip().splitlines()[-1]
            )
            results.append(r)
            print(
                f"generate {scale:<7} {r['seconds']:8.1f} s wall {r['cpu_seconds']:8.1f} s CPU "
                f"{r['peak_mb']:6.0f} MB peak (worker {r['child_peak_mb']:.0f} MB; all processes "
                f"{r['tree_pss_mb']:.0f} MB PSS, {r['tree_rss_mb']:.0f} MB RSS) "
                f"{r['files']:>7} files {r['rows']:>11,} rows  load {r['load']:.1f}"
            )
            if out_dir is None:
                shutil.rmtree(
                    out, ignore_errors=True
                )  # the region takes gigabytes: free them before the next
    return results


if __name__ == "__main__":
    run(tuple(sys.argv[1:]) or ("tiny", "demo"))
