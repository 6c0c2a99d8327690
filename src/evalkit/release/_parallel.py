"""The release check's files read by several processes: the same results, in the same order.

A check reads every file a run releases (a study of 200 sites: over a thousand pages,
notebooks and figures), one after the other in one process while the machine's other cores
wait. :func:`ordered_map` hands the files to ``jobs`` processes forked from the checking one
(they inherit what it prepared, the key included: nothing is sent to them but paths) and gives
back their results in the order of the files, so that the findings are the ones a single
process writes, byte for byte.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

__all__ = ["PARALLEL_MIN_ITEMS", "ordered_map", "usable_jobs"]

T = TypeVar("T")

#: Fewer items than this are read in the checking process: starting processes would cost more.
PARALLEL_MIN_ITEMS = 64

# What the forked processes find ready: set before they are started, by the checking process.
_STATE: dict[str, Any] = {}


def usable_jobs(jobs: int | None) -> int:
    """``jobs`` bounded by the cores this process may use (at least 1)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(int(jobs or 1), cores))


def _call(item: Any) -> Any:
    return _STATE["function"](item, *_STATE["args"])


def ordered_map(function: Callable[..., T], items: Sequence[Any], *args: Any,
                jobs: int = 1) -> list[T]:
    """``[function(item, *args) for item in items]``, over ``jobs`` forked processes when
    there are enough items and the platform forks; in one process otherwise, or when a process
    is lost (killed, out of memory): then every item is done again here. An exception raised by
    ``function`` is raised here, as it would be in one process."""
    jobs = usable_jobs(jobs)
    if (jobs < 2 or len(items) < PARALLEL_MIN_ITEMS
            or "fork" not in multiprocessing.get_all_start_methods()):
        return [function(item, *args) for item in items]
    _STATE.update(function=function, args=args)
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            chunk = max(1, len(items) // (jobs * 8))
            return list(pool.map(_call, items, chunksize=chunk))
    except BrokenProcessPool:
        return [function(item, *args) for item in items]
    finally:
        _STATE.clear()
