"""Work shared with a process forked from this one: the same results, in the same order.

The compute stage runs a handful of independent analyses, one after the other, while the
machine's other core waits (a study of 200 sites: 20 s). :func:`share_work` forks a *helper*
that inherits everything this process prepared (nothing is sent to it) and takes the next
item whenever it is free, as this process does: the two finish about together, whatever each
item costs. Results come back through a pipe, pickled.

What the caller sees is what one process gives: the results in the order of the items, and
an exception raised where it would be raised alone. An item whose call raised in the helper,
or that the helper could not send back (it was killed, ran out of memory, or its result does
not pickle), is computed again here, in order, so that the first item to fail raises its own
exception. Items must therefore be pure: computing one twice gives the same result.

The helper is only forked where forking is safe: on a platform that forks, from a process with
no other thread (a lock held by another thread at the fork would stay held in the helper).
It ends with this process, and never outlives the call.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from evalkit._lifetime import die_with_parent

__all__ = ["can_share", "share_work"]

T = TypeVar("T")

_FAILED = object()


def can_share() -> bool:
    """Whether :func:`share_work` may fork a helper here: a platform that forks, a process
    whose only thread is this one, and more than one core to run on."""
    if not hasattr(os, "fork") or threading.active_count() != 1:
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores > 1


def share_work(function: Callable[[Any], T], items: Sequence[Any], *,
               helper: bool = True) -> list[T]:
    """``[function(item) for item in items]``, computed by this process and a forked helper
    taking turns (see the module's documentation); in this process alone when ``helper`` is
    false, there are fewer than two items or :func:`can_share` says no."""
    items = list(items)
    if not helper or len(items) < 2 or not can_share():
        return [function(item) for item in items]
    import multiprocessing

    counter = multiprocessing.get_context("fork").Value("i", 0)

    def take() -> int:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        return index

    parent = os.getpid()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the helper: compute what it takes, send it all back, end
        code = 1
        try:
            os.close(read_end)
            die_with_parent(parent, lambda: os._exit(1))
            _helper(function, items, take, write_end)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    results: list[Any] = [_FAILED] * len(items)
    raised: dict[int, BaseException] = {}
    finished = False
    try:
        while (index := take()) < len(items):
            try:
                results[index] = function(items[index])
            except Exception as error:  # raised below, in the order of the items
                raised[index] = error
        theirs = _read_all(read_end)  # until the helper has written all and closed its end
        finished = True
    finally:
        os.close(read_end)
        _reap(pid, kill=not finished)
    for index, value in theirs.items():
        if results[index] is _FAILED and index not in raised:
            results[index] = value
    for index, item in enumerate(items):
        if index in raised:
            raise raised[index]
        if results[index] is _FAILED:  # the helper's call raised, or did not come back
            results[index] = function(item)
    return results


def _helper(function: Callable[[Any], Any], items: list, take: Callable[[], int],
            write_end: int) -> None:
    done: dict[int, Any] = {}
    while (index := take()) < len(items):
        try:
            done[index] = function(items[index])
        except Exception:  # computed again by the caller, which raises it in order
            continue
    try:
        data = pickle.dumps(done, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a result that does not pickle: the caller computes them all again
        data = pickle.dumps({}, protocol=pickle.HIGHEST_PROTOCOL)
    with os.fdopen(write_end, "wb") as pipe:
        pipe.write(data)


def _read_all(read_end: int) -> dict[int, Any]:
    chunks = []
    while chunk := os.read(read_end, 1 << 20):
        chunks.append(chunk)
    try:
        found = pickle.loads(b"".join(chunks))
    except Exception:  # cut short (the helper was killed): computed here instead
        return {}
    return found if isinstance(found, dict) else {}


def _reap(pid: int, *, kill: bool) -> None:
    """Wait for the helper to end; kill it first when this process stops early (an error or
    an interrupt): it must not outlive the call."""
    with contextlib.suppress(ChildProcessError):
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
