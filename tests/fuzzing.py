"""Fuzzing with hypothesis, in two sizes: a short seeded slice in every test run, or as long as
``EVALKIT_FUZZ_SECONDS`` says (``make fuzz``).

A fuzz test is marked ``@pytest.mark.fuzz`` and hands :func:`fuzz` a strategy and a check::

    @pytest.mark.fuzz
    def test_reader_says_what_is_wrong():
        fuzz(st.binary(), check_one_file)

The slice is the same examples every time (``derandomize``), so a test run stays reproducible;
the long run draws new examples until its time is spent, target by target, and keeps the
failures hypothesis finds in its example database (``.hypothesis/``) to try first next time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

#: Examples per target in the seeded slice of an ordinary test run.
SLICE_EXAMPLES = 60
#: Examples per round of a long run (rounds go on until the time is spent).
ROUND_EXAMPLES = 200


def budget() -> float:
    """Seconds each fuzz target runs for (``EVALKIT_FUZZ_SECONDS``; 0: the seeded slice)."""
    try:
        return max(0.0, float(os.environ.get("EVALKIT_FUZZ_SECONDS", "0") or 0))
    except ValueError:
        return 0.0


def fuzz(strategy: st.SearchStrategy, check: Callable[[Any], None], *,
         slice_examples: int = SLICE_EXAMPLES, round_examples: int = ROUND_EXAMPLES,
         round_seed: int | None = None) -> int:
    """Run ``check`` on examples drawn from ``strategy``; return how many rounds ran.

    ``check`` raises (an assertion, or an exception that should not escape) to report a
    failure, which hypothesis then shrinks to a small example. A long run goes in rounds of
    ``round_examples`` (fewer for slow targets, so that the time given is kept). With
    ``round_seed``, each round draws from its own seed (derived from ``round_seed`` and the
    round's number), and a failure carries that seed in a note, so that it can be replayed.
    """
    common = dict(deadline=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])
    seconds = budget()
    if seconds == 0:
        runner = settings(max_examples=slice_examples, derandomize=True, database=None,
                          **common)(given(strategy)(check))
        runner()
        return 1
    end, rounds = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        runner = settings(max_examples=round_examples, **common)(given(strategy)(check))
        if round_seed is not None:
            this_seed = round_seed * 1_000_003 + rounds
            runner = seed(this_seed)(runner)
            try:
                runner()
            except BaseException as error:
                error.add_note(f"fuzzing round seed: {this_seed}")
                raise
        else:
            runner()
        rounds += 1
    return rounds
