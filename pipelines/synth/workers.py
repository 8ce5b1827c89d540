"""Runs the generator's writing tasks on several processes; the output is the same bytes as on one.

A task is a callable that writes landing files through the shared ``Landing`` and draws randomness only from
generators it creates itself (keyed by the seed and a stable name) or from data prepared before the run. Workers are
forked, so they see the world and the simulation without copying them; the parent works through the tasks from the
front of the list and the workers from the back, each worker writing its ``record_links`` and
``faults`` rows to part files, and the parent appends the parts in task order, as if one process had run the tasks
one after another.
"""

from __future__ import annotations

import gc
import json
import multiprocessing as mp
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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


def _part_stem(landing: Landing, i: int) -> Path:
    return landing.truth / ".parts" / f"{i:05d}"


def _take_from_back(lock, lo, hi) -> None:
    """A forked worker: run tasks from the end of the list until it meets the parent coming from the front.

    Fork safety: the parent may have other threads (a progress bar's refresher, Dagster's log capture) that held
    the lock of ``sys.stdout``/``sys.stderr`` at the moment of the fork; the child's copy of that lock is then held
    for ever, and the first write or flush (multiprocessing flushes both at exit) would hang. So the child gets fresh
    streams on duplicated descriptors and leaves with ``os._exit``, never touching the inherited ones.
    """
    sys.stdout = open(os.dup(1), "w", encoding="utf-8", errors="replace", buffering=1)  # noqa: SIM115
    sys.stderr = open(os.dup(2), "w", encoding="utf-8", errors="replace", buffering=1)  # noqa: SIM115
    try:
        _work_from_back(lock, lo, hi)
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    os._exit(0)


def _work_from_back(lock, lo, hi) -> None:
    landing = _LANDING
    while True:
        with lock:
            if hi.value <= lo.value:
                return
            hi.value -= 1
            i = hi.value
        stem = _part_stem(landing, i)
        landing.begin_part(stem)
        _TASKS[i].run()
        part = landing.end_part()
        Path(f"{stem}.json").write_text(json.dumps(part, ensure_ascii=False), encoding="utf-8")


def run_tasks(
    tasks: list[Task], landing: Landing, workers: int, progress: Callable[[int], None] | None = None
) -> None:
    """Run ``tasks``; ``landing``'s bookkeeping ends up exactly as after running them in list order.

    The parent runs tasks from the front of the list, writing as usual; ``workers - 1`` forked processes run them
    from the back into part files. Where they meet, the parent stops, and appends the parts in list order.
    """
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
    ctx = mp.get_context("fork")
    lock, lo, hi = ctx.Lock(), ctx.Value("i", 0, lock=False), ctx.Value("i", len(tasks), lock=False)
    procs = [
        ctx.Process(target=_take_from_back, args=(lock, lo, hi), daemon=True) for _ in range(workers - 1)
    ]
    try:
        for proc in procs:
            proc.start()
        while True:
            with lock:
                if lo.value >= hi.value:
                    break
                i = lo.value
                lo.value += 1
            tasks[i].run()
            if progress:
                progress(tasks[i].steps)
        for proc in procs:
            proc.join()
        failed = [proc.exitcode for proc in procs if proc.exitcode != 0]
        if failed:
            raise RuntimeError(
                f"Процесс записи синтетического региона завершился с кодом {failed[0]}: см. ошибку выше."
            )
        for i in range(lo.value, len(tasks)):
            stem = _part_stem(landing, i)
            landing.merge_part(json.loads(Path(f"{stem}.json").read_text(encoding="utf-8")))
            if progress:
                progress(tasks[i].steps)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join()
        gc.unfreeze()
        _TASKS, _LANDING = [], None
        parts = landing.truth / ".parts"
        if parts.is_dir():
            for p in parts.iterdir():
                p.unlink()
            parts.rmdir()
