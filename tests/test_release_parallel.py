"""The release check's files read by several processes: the results of one process, in the
same order; an error raised where it is raised alone; a lost process costs time, not
findings; no process outlives the call."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from pathlib import Path

import pytest

from evalkit.release import _parallel
from evalkit.release._parallel import ordered_map, usable_jobs
from evalkit.release.disclosure import check_disclosure

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="forked processes only where the platform forks")


def _square_and_pid(item: int, offset: int) -> tuple[int, int]:
    return item * item + offset, os.getpid()


def _fails_on_seven(item: int) -> int:
    if item == 7:
        raise ValueError("seven")
    return item


_PARENT = os.getpid()


def _dies_once_in_a_child(item: int) -> int:
    if item == 3 and os.getpid() != _PARENT:
        os._exit(9)  # the process is lost, as when it is killed or out of memory
    return item * 2


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(_parallel, "usable_jobs", lambda jobs: max(1, min(int(jobs or 1), 2)))


def test_results_come_in_order_from_other_processes(two_cores):
    items = list(range(200))
    found = list(ordered_map(_square_and_pid, items, 5, jobs=2))
    assert [value for value, _ in found] == [i * i + 5 for i in items]
    assert {pid for _, pid in found} - {os.getpid()}, "no other process did any of it"
    assert multiprocessing.active_children() == []


def test_few_items_or_one_job_stay_in_this_process(two_cores):
    few = list(ordered_map(_square_and_pid, list(range(_parallel.PARALLEL_MIN_ITEMS - 1)), 0,
                           jobs=2))
    alone = list(ordered_map(_square_and_pid, list(range(200)), 0, jobs=1))
    assert {pid for _, pid in few + alone} == {os.getpid()}


def test_an_error_is_raised_here(two_cores):
    with pytest.raises(ValueError, match="seven"):
        list(ordered_map(_fails_on_seven, list(range(100)), jobs=2))
    assert multiprocessing.active_children() == []


def test_a_lost_process_costs_time_not_results(two_cores):
    assert list(ordered_map(_dies_once_in_a_child, list(range(100)), jobs=2)) == \
        [i * 2 for i in range(100)]
    assert multiprocessing.active_children() == []


def test_results_are_handed_out_a_few_ahead(two_cores):
    """Not every item is computed before the first result is used: memory stays bounded."""
    results = ordered_map(_square_and_pid, list(range(300)), 0, jobs=2)
    first = next(results)
    assert first[0] == 0
    assert len(_parallel._STATE) == 2  # still running
    rest = list(results)
    assert len(rest) == 299 and _parallel._STATE == {}
    assert multiprocessing.active_children() == []


def test_jobs_are_bounded_by_the_cores():
    assert usable_jobs(None) == 1
    assert usable_jobs(0) == 1
    assert 1 <= usable_jobs(64) <= (os.cpu_count() or 1)


def _folder(root: Path) -> Path:
    """A folder of 90 files of several formats, with identifiers planted in some."""
    root.mkdir()
    for i in range(90):
        kind = i % 3
        if kind == 0:
            text = f"Appelez Émilie Tremblay au 819 555-{i:04d}.\n" if i % 9 == 0 else "Rien.\n"
            (root / f"note{i:03d}.txt").write_text(text, encoding="utf-8")
        elif kind == 1:
            body = f"<p>Écrire à jo{i}@example.org</p>" if i % 4 == 1 else "<p>Merci</p>"
            (root / f"page{i:03d}.html").write_text(f"<html><body>{body}</body></html>",
                                                    encoding="utf-8")
        else:
            (root / f"sheet{i:03d}.xlsx").write_bytes(b"not a workbook")  # unreadable
    return root


def test_the_check_finds_the_same_with_two_processes(tmp_path, two_cores):
    folder = _folder(tmp_path / "run")
    one = check_disclosure(folder, names=["Émilie Tremblay"], update_manifest=False, jobs=1)
    two = check_disclosure(folder, names=["Émilie Tremblay"], update_manifest=False, jobs=2)
    assert len(one) > 30 and set(one["kind"]) == {"name", "phone", "email", "unreadable"}
    assert one.equals(two)
    assert one.attrs == two.attrs


def test_the_command_reads_with_jobs_and_refuses_fewer_than_one(tmp_path, two_cores, capsys):
    from evalkit.cli import main

    folder = _folder(tmp_path / "run")
    assert main(["check-disclosure", str(folder), "--jobs", "1", "--format", "json"]) == 1
    one = capsys.readouterr().out
    assert main(["check-disclosure", str(folder), "--jobs", "2", "--format", "json"]) == 1
    assert capsys.readouterr().out == one
    assert main(["check-disclosure", str(folder), "--jobs", "0"]) == 2
    assert "jobs" in capsys.readouterr().err


_SLOW_CHECK = """
import os, sys, time
from evalkit.release import _parallel
_parallel.usable_jobs = lambda jobs: 2

def slow(item):
    time.sleep(0.2)
    return item

print(os.getpid(), flush=True)
for _ in _parallel.ordered_map(slow, list(range(500)), jobs=2):
    pass
"""


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_reading_processes_end_with_a_checking_process_that_is_killed(tmp_path):
    """A process forked by the pool waits for work forever once its parent is gone: the
    parent-death signal (and a watchdog) ends it when the checking process is killed."""
    import signal
    import subprocess
    import sys
    import time

    checking = subprocess.Popen([sys.executable, "-c", _SLOW_CHECK], stdout=subprocess.PIPE,
                                text=True)
    parent = int(checking.stdout.readline())
    deadline = time.monotonic() + 60
    while len(_children(parent)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    readers = _children(parent)
    try:
        assert len(readers) >= 2
        os.kill(parent, signal.SIGKILL)
        checking.wait()
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in readers):
            assert time.monotonic() < deadline, "a reading process outlived the check"
            time.sleep(0.05)
    finally:  # whatever the result, nothing is left behind by the test
        for pid in [parent, *readers]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"
