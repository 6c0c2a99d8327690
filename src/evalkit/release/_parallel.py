"""The release check's files read by several processes: the same results, in the same order.

A check reads every file a run releases (a study of 200 sites: over a thousand pages,
notebooks and figures), one after the other in one process while the machine's other cores
wait. :func:`ordered_map` hands the files to ``jobs`` processes forked from the checking one
(they inherit what it prepared, the key included: nothing is sent to them but paths) and gives
back their results in the order of the files, as they come, so that the findings are the ones
a single process writes, byte for byte, and only a few files' results are held at once.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from evalkit._lifetime import die_with_parent

__all__ = ["PARALLEL_MIN_ITEMS", "ordered_map", "usable_jobs"]

T = TypeVar("T")

#: Fewer items than this are read in the checking process: starting processes would cost more.
PARALLEL_MIN_ITEMS = 64
#: Items handed to each process ahead of those consumed.
AHEAD = 4

# What the forked processes find ready: set before they are started, by the checking process.
_STATE: dict[str, Any] = {}


def usable_jobs(jobs: int | None) -> int:
    """``jobs`` bounded by the cores this process may use (at least 1)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(int(jobs or 1), cores))


def _started(parent: int) -> None:
    """In each reading process, first: end with the checking process, however it ends (a
    process forked by a pool waits for work forever once its parent is killed)."""
    die_with_parent(parent, lambda: os._exit(1))


def _call(item: Any) -> Any:
    return _STATE["function"](item, *_STATE["args"])


def ordered_map(function: Callable[..., T], items: Sequence[Any], *args: Any,
                jobs: int = 1) -> Iterator[T]:
    """``function(item, *args)`` for each of ``items``, in order, computed by ``jobs`` forked
    processes when there are enough items and the platform forks; in this process otherwise.

    Results are yielded as they come, in order, with a few items handed out ahead
    (:data:`AHEAD` per process): what is not yet consumed is never all held at once. A process
    that is lost (killed, out of memory) costs time only: the items not yet yielded are done
    again here. An exception raised by ``function`` is raised here, as it would be in one
    process.
    """
    jobs = usable_jobs(jobs)
    if (jobs < 2 or len(items) < PARALLEL_MIN_ITEMS
            or "fork" not in multiprocessing.get_all_start_methods()):
        for item in items:
            yield function(item, *args)
        return
    _STATE.update(function=function, args=args)
    done = 0
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_started, initargs=(os.getpid(),)) as pool:
            pending: deque = deque()
            for item in items[:AHEAD * jobs]:
                pending.append(pool.submit(_call, item))
            handed = len(pending)
            while pending:
                result = pending.popleft().result()
                if handed < len(items):
                    pending.append(pool.submit(_call, items[handed]))
                    handed += 1
                done += 1
                yield result
    except BrokenProcessPool:
        for item in items[done:]:
            yield function(item, *args)
    finally:
        _STATE.clear()
