"""Runs the generator's writing tasks on several processes; the output is the same bytes as on one.

A task is a callable that writes landing files through the shared ``Landing`` and draws randomness only from
generators it creates itself (keyed by the seed and a stable name) or from data prepared before the run. Workers are
forked, so they see the world and the simulation without copying them; each writes its ``record_links`` and
``faults`` rows to part files, and the parent appends the parts in task order, as if one process had run the tasks
one after another.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
from collections.abc import Callable
from dataclasses import dataclass

from pipelines.synth.landing import Landing


@dataclass
class Task:
    run: Callable[[], object]
    weight: float = 1.0  # relative cost: the heaviest tasks start first
    steps: int = 1  # progress steps done when the task ends


def default_workers() -> int:
    """Both cores of the reference machine (2), fewer if this one has fewer."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


_TASKS: list[Task] = []
_LANDING: Landing | None = None


def _run_part(i: int) -> dict:
    landing = _LANDING
    landing.begin_part(landing.truth / ".parts" / f"{i:05d}")
    _TASKS[i].run()
    return landing.end_part()


def run_tasks(
    tasks: list[Task], landing: Landing, workers: int, progress: Callable[[int], None] | None = None
) -> None:
    """Run ``tasks``; ``landing``'s bookkeeping ends up exactly as after running them in list order."""
    if workers <= 1 or len(tasks) <= 1 or "fork" not in mp.get_all_start_methods():
        for t in tasks:
            t.run()
            if progress:
                progress(t.steps)
        return
    global _TASKS, _LANDING
    _TASKS, _LANDING = tasks, landing
    landing.flush()
    # objects made so far stay out of the collector's reach: it would otherwise write to every one of them in
    # every worker and turn the pages shared with the parent into copies
    gc.collect()
    gc.freeze()
    start_order = sorted(range(len(tasks)), key=lambda i: (-tasks[i].weight, i))
    try:
        # a fresh fork per task: what one task copied or allocated does not stay for the next
        with mp.get_context("fork").Pool(workers, maxtasksperchild=1) as pool:
            pending = {
                i: pool.apply_async(
                    _run_part,
                    (i,),
                    callback=(lambda _r, n=tasks[i].steps: progress(n)) if progress else None,
                )
                for i in start_order
            }
            for i in range(len(tasks)):  # merge in list order while later tasks still run
                landing.merge_part(pending[i].get())
    finally:
        gc.unfreeze()
        _TASKS, _LANDING = [], None
        parts = landing.truth / ".parts"
        if parts.is_dir():
            for p in parts.iterdir():
                p.unlink()
            parts.rmdir()
