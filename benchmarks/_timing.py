"""Timing of a benchmark's steps, printed as they finish."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Stopwatch:
    """``with watch("step"):`` times the step, prints ``step  1.23 s`` and keeps the seconds in
    ``watch.times`` (in the order the steps ran)."""

    def __init__(self, width: int = 52) -> None:
        self.width = width
        self.times: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.times[name] = time.perf_counter() - start
        print(f"  {name:<{self.width}} {self.times[name]:7.2f} s", flush=True)
