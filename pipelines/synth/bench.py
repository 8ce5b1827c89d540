"""Generation time and peak memory per scale, for ``make bench``.

Each scale runs in a fresh Python process so that peak memory (max RSS) is that scale's alone.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import datetime as dt, json, os, resource, sys, threading, time
from pipelines.synth import generate

def tree_mb():
    # resident and proportional set size of this process and its workers (shared pages counted once in PSS)
    pids, rss, pss = [os.getpid()], 0, 0
    try:
        pids += [int(p) for p in open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read().split()]
    except OSError:
        pass
    for pid in pids:
        try:
            for line in open(f"/proc/{pid}/smaps_rollup"):
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return rss / 1024, pss / 1024

peak = [0.0, 0.0]
done = threading.Event()
def sample():
    while not done.wait(0.5):
        r, p = tree_mb()
        peak[0], peak[1] = max(peak[0], r), max(peak[1], p)
threading.Thread(target=sample, daemon=True).start()
t0 = time.perf_counter()
m = generate(sys.argv[1], int(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]), sys.argv[4],
             workers=int(sys.argv[5]) if sys.argv[5] != "-" else None)
wall = time.perf_counter() - t0
done.set()
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": wall,
                  "cpu_seconds": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                  "peak_mb": me.ru_maxrss / 1024, "child_peak_mb": kids.ru_maxrss / 1024,
                  "tree_rss_mb": peak[0], "tree_pss_mb": peak[1],
                  "load": os.getloadavg()[0],
                  "files": m["counts"]["files"], "rows": sum(m["counts"]["rows"].values()),
                  "pupil_years": m["counts"]["pupil_years"], "schools": m["counts"]["schools"]}))
"""


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
    the forked processes once per process, PSS once in all); ``load`` is the 1-minute load average at the end, to
    judge how busy the machine was.
    """
    results = []
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        base = Path(out_dir) if out_dir else Path(tmp)
        for scale in scales:
            out = base / scale
            proc = subprocess.run(
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
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise RuntimeError(
                    f"Генерация масштаба {scale} завершилась с ошибкой: {proc.stderr.strip().splitlines()[-1:]}"
                )
            r = {"scale": scale} | json.loads(proc.stdout.strip().splitlines()[-1])
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
