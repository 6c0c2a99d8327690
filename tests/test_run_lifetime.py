"""Nothing outlives a run: workers end with their parent, kernels' groups are killed, and the
folders of stopped runs are found and dealt with by the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from evalkit._lifetime import kill_group, parent_death_signal
from evalkit.run.rundir import OWNER_FILE, RunFolder, clean_leftovers

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def wait_for(condition, deadline: float = 60) -> bool:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@linux_only
def test_a_child_ends_with_its_parent_even_under_kill_9(tmp_path):
    """A parent starts a child that asks for the parent-death signal; the parent is killed
    with SIGKILL; the child ends (its handler writes a file first)."""
    src = Path(__file__).resolve().parents[1] / "src"
    child = textwrap.dedent(f"""\
        import os, sys, time
        sys.path.insert(0, {str(src)!r})
        from evalkit._lifetime import die_with_parent
        def orphaned():
            open({str(tmp_path / 'ended')!r}, 'w').write('yes')
            os._exit(0)
        die_with_parent(int(sys.argv[1]), orphaned)
        open({str(tmp_path / 'child.pid')!r}, 'w').write(str(os.getpid()))
        time.sleep(600)
        """)
    parent = textwrap.dedent(f"""\
        import os, subprocess, sys, time
        subprocess.Popen([sys.executable, '-c', {child!r}, str(os.getpid())])
        time.sleep(600)
        """)
    process = subprocess.Popen([sys.executable, "-c", parent])
    pid_file = tmp_path / "child.pid"
    try:
        assert wait_for(pid_file.exists)
        child_pid = int(pid_file.read_text())
        process.kill()
        process.wait()
        assert wait_for(lambda: (tmp_path / "ended").exists(), deadline=30)
        assert wait_for(lambda: not alive(child_pid), deadline=30)
    finally:
        process.kill()
        if pid_file.exists() and alive(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


@linux_only
def test_parent_death_signal_is_available_on_linux():
    assert parent_death_signal(0) is True  # 0: none (clears it again)


def test_kill_group_kills_a_group_leader_only():
    leader = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                              start_new_session=True)
    follower = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        assert kill_group(follower.pid) is False  # not the leader of its group: left alone
        assert follower.poll() is None
        assert kill_group(leader.pid) is True
        assert leader.wait(timeout=60) == -signal.SIGKILL
        assert kill_group(leader.pid) is False  # gone
    finally:
        for process in (leader, follower):
            process.kill()
            process.wait()


def test_leftovers_are_removed_restored_or_kept(tmp_path):
    study_dir = tmp_path / "reports" / "etude"
    live = RunFolder.create(study_dir)  # this process writes it: its lock is held
    try:
        dead = study_dir / ".20250101-000000.incomplete"
        (dead / ".work").mkdir(parents=True)
        (dead / OWNER_FILE).write_text('{"host": "h", "pid": 1}')  # nobody holds its lock
        unknown = study_dir / ".20250101-000001.incomplete"
        unknown.mkdir()
        old = time.time() - 3600
        os.utime(unknown, (old, old))
        young = study_dir / ".20250101-000002.incomplete"
        young.mkdir()
        finished = study_dir / "20250101-000003"
        set_aside = study_dir / ".20250101-000003.replaced-abcd"
        (set_aside / "tables").mkdir(parents=True)
        os.utime(set_aside, (old, old))
        found = {x.name: (x.action, x.owner) for x in clean_leftovers(study_dir)}
        assert found == {dead.name: ("removed", "h:1"), unknown.name: ("kept", ""),
                         set_aside.name: ("restored", "")}
        assert not dead.exists() and unknown.is_dir() and young.is_dir()
        assert (finished / "tables").is_dir()  # the run whose resume was stopped, put back
        assert live.path.is_dir()
    finally:
        live.discard()
    assert not live.path.exists()
