"""Generation time and peak memory per scale, for ``make bench``.

Each scale runs in a fresh Python process so that peak memory (max RSS) is that scale's alone.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path

from pipelines.benchmarking import BenchmarkFailed, measured_call
from pipelines.synth import generate


def generate_once(scale: str, seed: str, as_of: str, out: str, workers: str) -> dict:
    """One generation (in the measuring child process); returns the volume it wrote."""
    m = generate(
        scale, int(seed), dt.date.fromisoformat(as_of), out, workers=int(workers) if workers != "-" else None
    )
    counts = m["counts"]
    return {
        "files": counts["files"],
        "rows": sum(counts["rows"].values()),
        "pupil_years": counts["pupil_years"],
        "schools": counts["schools"],
    }


# issue 3: the whole republic within 10 minutes and 4 GB on 2 cores; demo under a minute
TARGETS = {"region": (600.0, 4096.0), "demo": (60.0, 4096.0)}


def run(
    scales: tuple[str, ...] = ("tiny", "demo", "region"),
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
            try:
                figures = measured_call(
                    "pipelines.synth.bench:generate_once",
                    (scale, str(seed), as_of.isoformat(), str(out), str(workers) if workers else "-"),
                    sample_tree=True,
                )
            except BenchmarkFailed as exc:
                raise RuntimeError(f"Генерация масштаба {scale} завершилась с ошибкой: {exc}") from exc
            r = {"scale": scale} | figures
            results.append(r)
            print(
                f"generate {scale:<7} {r['seconds']:8.1f} s wall {r['cpu_seconds']:8.1f} s CPU "
                f"{r['peak_mb']:6.0f} MB peak (worker {r['child_peak_mb']:.0f} MB; all processes "
                f"{r['tree_pss_mb']:.0f} MB PSS, {r['tree_rss_mb']:.0f} MB RSS) "
                f"{r['files']:>7} files {r['rows']:>11,} rows  load {r['load']:.1f}"
            )
            if scale in TARGETS:
                seconds, mb = TARGETS[scale]
                met = r["seconds"] <= seconds and r["tree_pss_mb"] <= mb
                print(
                    f"         target for {scale}: ≤ {seconds / 60:.0f} min and ≤ {mb / 1024:.0f} GB on 2 cores "
                    f"(all processes, PSS): {'met' if met else 'NOT met'}"
                )
            if out_dir is None:
                shutil.rmtree(
                    out, ignore_errors=True
                )  # the region takes gigabytes: free them before the next
    return results


if __name__ == "__main__":
    run(tuple(sys.argv[1:]) or ("tiny", "demo", "region"))
