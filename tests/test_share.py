"""Work shared with a forked helper process: the results one process gives, in the same order;
an exception raised where it is raised alone; a helper that fails or is lost costs time, not
results; no process outlives the call. And the compute stage, shared so, gives the same
result tables, byte for byte, on studies of several shapes."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from _studies import small_study

from evalkit.analyse import _share
from evalkit.analyse._share import can_share, share_work

pytestmark = pytest.mark.skipif(not can_share(),
                                reason="a helper is forked only where the platform forks, "
                                       "from a process of one thread, with two cores or more")

_PARENT = os.getpid()
_REAL_CAN_SHARE = _share.can_share


_HELPERS: list[int] = []  # the helpers forked by the running test


@pytest.fixture(autouse=True)
def _forking_allowed(monkeypatch):
    # Tests run before these in this process may have left a thread behind (a watchdog);
    # the items here are pure computation, safe to fork beside it. The rule itself is tested
    # below.
    monkeypatch.setattr(_share, "can_share", lambda: True)
    # Every helper forked is recorded, to prove it is gone when the call returns. (This
    # process may have children of its own, started by other tests: only the helpers count.)
    _HELPERS.clear()
    real_fork = os.fork

    def recording_fork() -> int:
        pid = real_fork()
        if pid:
            _HELPERS.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recording_fork)


def _busy(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def _square_and_pid(item: int) -> tuple[int, int]:
    _busy(0.02)  # long enough that both processes take items
    return item * item, os.getpid()


def _helpers_gone() -> bool:
    """Whether a helper was forked, and every helper forked has ended and been waited for."""
    if not _HELPERS:
        return False
    for pid in _HELPERS:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped by the call: neither running nor a zombie
            continue
        return False
    return True


def test_the_results_are_those_of_one_process_in_order_computed_by_two():
    got = share_work(_square_and_pid, range(40))
    assert [value for value, _ in got] == [i * i for i in range(40)]
    pids = {pid for _, pid in got}
    assert _PARENT in pids and len(pids) == 2  # the helper took its share
    assert _helpers_gone()
    forked = len(_HELPERS)
    alone = share_work(_square_and_pid, range(40), helper=False)
    assert {pid for _, pid in alone} == {_PARENT}
    assert len(_HELPERS) == forked  # no helper asked for, none forked


def test_a_process_with_another_thread_forks_no_helper(monkeypatch):
    monkeypatch.setattr(_share, "can_share", _REAL_CAN_SHARE)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        got = share_work(_square_and_pid, range(10))
    finally:
        stop.set()
        other.join()
    assert [value for value, _ in got] == [i * i for i in range(10)]
    assert {pid for _, pid in got} == {_PARENT}
    assert not _HELPERS


def _fails_on(item: int, failing: dict[int, str]) -> int:
    _busy(0.01)
    if item in failing:
        raise ValueError(failing[item])
    return item


@pytest.mark.parametrize("first", [3, 17, 38])
def test_the_first_item_to_fail_raises_its_own_error_whoever_computed_it(first):
    failing = {first: f"item {first}", first + 1: "later"}
    with pytest.raises(ValueError, match=f"^item {first}$"):
        share_work(lambda item: _fails_on(item, failing), range(40))
    assert _helpers_gone()


def _fails_in_the_helper(item: int) -> int:
    _busy(0.01)
    if os.getpid() != _PARENT and item % 3 == 0:
        raise RuntimeError("only in the helper")
    return item + 1


def test_what_failed_in_the_helper_is_computed_again_here():
    assert share_work(_fails_in_the_helper, range(30)) == [i + 1 for i in range(30)]
    assert _helpers_gone()


def _helper_dies(item: int) -> int:
    _busy(0.01)
    if os.getpid() != _PARENT and item >= 5:
        os._exit(9)  # killed, or out of memory
    return -item


def test_a_lost_helper_costs_time_not_results():
    assert share_work(_helper_dies, range(30)) == [-i for i in range(30)]
    assert _helpers_gone()


def _unpicklable(item: int):
    _busy(0.01)
    return (item, (lambda: item) if os.getpid() != _PARENT else None)


def test_results_the_helper_cannot_send_back_are_computed_here():
    got = share_work(_unpicklable, range(20))
    assert [value for value, _ in got] == list(range(20))
    assert all(f is None for _, f in got)  # every one computed here
    assert _helpers_gone()


def test_an_interrupt_here_stops_the_helper_with_the_call():
    def interrupted(item: int) -> int:
        _busy(0.01)
        if os.getpid() == _PARENT and item >= 6:
            raise KeyboardInterrupt
        _busy(0.2)
        return item

    with pytest.raises(KeyboardInterrupt):
        share_work(interrupted, range(40))
    assert _helpers_gone()  # killed and waited for: nothing left running


@pytest.fixture(scope="module")
def studies(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("share")
    return [
        small_study(root / "renamed", n_sites=5, waves=2, n_per_site=40,
                    rename={"site": "centre", "respondent_type": "profil"}),
        small_study(root / "one_wave", n_sites=3, waves=1, n_per_site=60),
        small_study(root / "no_partners", n_sites=4, waves=3, n_per_site=25,
                    drop=["sources.partners"]),
    ]


def test_the_compute_stage_shared_gives_the_same_tables_byte_for_byte(studies, tmp_path):
    import warnings

    from evalkit.analyse.compute import compute_results
    from evalkit.analyse.results import Ref
    from evalkit.config.study import load_study
    from evalkit.prepare.study import prepare_study

    for study in studies:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prepared = prepare_study(load_study(study))
        alone = compute_results(prepared, n_boot=100, parallel=False)
        shared = compute_results(prepared, n_boot=100, parallel=True)
        a, b = tmp_path / study.parent.name / "alone", tmp_path / study.parent.name / "shared"
        alone.save(a)
        shared.save(b)
        names = sorted(p.name for p in a.iterdir())
        assert names == sorted(p.name for p in b.iterdir()) and len(names) > 20
        for name in names:
            assert (a / name).read_bytes() == (b / name).read_bytes(), (study, name)
        assert list(shared.meta["frames"].items()) == list(alone.meta["frames"].items())
        # every data frame a call names is described for the method notes
        named = {c.data for t in shared.values() for c in t.calls if c.data} | {
            v.name for t in shared.values() for c in t.calls for v in c.args.values()
            if isinstance(v, Ref)}
        assert named and named <= set(shared.meta["frames"])
        assert [x.table for x in shared.absences] == [x.table for x in alone.absences]


def test_the_joint_disclosure_control_shared_gives_the_same_tables(studies):
    import warnings

    from evalkit.analyse.compute import compute_results
    from evalkit.config.study import load_study
    from evalkit.prepare.study import prepare_study
    from evalkit.release.protect import protect_tables

    for study in studies:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded = load_study(study)
            results = compute_results(prepare_study(loaded), n_boot=100, parallel=False)
        frames = {name: table.frame for name, table in results.items() if table.release}
        given = {name: frame.copy() for name, frame in frames.items()}
        options = dict(policy=loaded.privacy, study=results.meta["study_parameters"])
        _HELPERS.clear()
        shared = protect_tables(frames, **options)
        assert _HELPERS and _helpers_gone()  # a helper took groups, and is gone
        alone = protect_tables(frames, **options, parallel=False)
        assert list(shared) == list(alone)
        hidden = 0
        for name in alone:
            assert shared[name].equals(alone[name]), (study, name)
            assert list(shared[name].dtypes) == list(alone[name].dtypes), (study, name)
            hidden += int(alone[name].isna().sum().sum())
        assert hidden > 50  # cells were hidden, by the rules and jointly
        for name, frame in frames.items():  # the caller's tables are left as they were
            assert frame.equals(given[name])
