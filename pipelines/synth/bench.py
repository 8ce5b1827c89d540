"""Generation time and peak memory per scale, for ``make bench``.

Each scale runs in a fresh Python process so that peak memory (max RSS) is that scale's alone.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import datetime as dt, json, resource, sys, time
from pipelines.synth import generate
t0 = time.perf_counter(); c0 = time.process_time()
m = generate(sys.argv[1], int(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]), sys.argv[4])
print(json.dumps({"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "files": m["counts"]["files"], "rows": sum(m["counts"]["rows"].values()),
                  "pupil_years": m["counts"]["pupil_years"], "schools": m["counts"]["schools"]}))
"""


def run(
    scales: tuple[str, ...] = ("tiny", "demo"),
    seed: int = 1,
    as_of: dt.date = dt.date(2026, 11, 28),
    out_dir: Path | None = None,
) -> list[dict]:
    """Generate each scale once; print and return time (wall and CPU), peak memory and volume per scale."""
    results = []
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        base = Path(out_dir) if out_dir else Path(tmp)
        for scale in scales:
            out = base / scale
            proc = subprocess.run(
                [sys.executable, "-c", _CHILD, scale, str(seed), as_of.isoformat(), str(out)],
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
                f"{r['peak_mb']:8.0f} MB peak  {r['files']:>7} files {r['rows']:>11,} rows"
            )
    return results


if __name__ == "__main__":
    run(tuple(sys.argv[1:]) or ("tiny", "demo"))
