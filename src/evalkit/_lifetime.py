"""No process outlives its run: a worker ends with the process that started it, however that one
ends, and what is left of a stopped process group is killed.

On Linux a worker asks the kernel for a parent-death signal (``prctl(PR_SET_PDEATHSIG)``), which
arrives even when the parent is killed with ``kill -9``; everywhere, a watchdog thread also
notices that the parent is gone (the worker is then adopted by another process) within a second.
Kernels lead their own process group (jupyter_client starts them in a new session) and ipykernel
ends a kernel whose parent is gone; the run also kills their groups itself when it stops.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

__all__ = ["die_with_parent", "kill_group", "parent_death_signal"]

#: ``PR_SET_PDEATHSIG`` of ``<linux/prctl.h>``.
_PR_SET_PDEATHSIG = 1
#: Seconds between two looks of the watchdog at the parent.
WATCH_SECONDS = 0.5


def parent_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent ends; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent_pid: int, on_orphaned: Callable[[], None]) -> None:
    """Make this process end when ``parent_pid`` (its parent) ends.

    ``on_orphaned`` runs when the parent is gone: it must end the process (and what it
    started). It runs from the SIGTERM handler, which Linux's parent-death signal triggers,
    or from a watchdog thread, which also covers the systems without that signal and the
    moment before the signal was asked for.
    """
    signum = getattr(signal, "SIGTERM", signal.SIGINT)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signum, lambda *_: on_orphaned())
        parent_death_signal(signum)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(WATCH_SECONDS)
        on_orphaned()

    threading.Thread(target=watch, name="evalkit-parent-watch", daemon=True).start()


def kill_group(pid: int) -> bool:
    """Kill the process group that ``pid`` leads (a kernel and anything it started).

    Nothing is done unless ``pid`` still leads its own group, so a number reused by an unrelated
    process is never signalled. Returns whether a signal was sent.
    """
    if not hasattr(os, "killpg"):  # pragma: no cover - Windows
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
            return True
        return False
    try:
        if os.getpgid(pid) != pid:
            return False
        os.killpg(pid, signal.SIGKILL)
    except OSError:  # already gone
        return False
    return True
