"""Faults during a run: a killed kernel, a cell past its time limit, the run itself killed or
interrupted, a full disk, a read-only output folder, two runs at once, a damaged run resumed.

Each test waits on conditions with generous deadlines (the machine may be loaded), never on
fixed sleeps, and kills whatever it started, whatever happens.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from robustness import stub_run
from robustness.base_study import write_base_study
from robustness.cases import CASES

from evalkit.cli import main
from evalkit.errors import ConfigError
from evalkit.run import run_study

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE.parent / "notebooks"
SRC = HERE.parents[1] / "src"
OVERRIDES = {"prepare": stub_run.prepare}
#: Generous: a loaded machine starts a kernel in tens of seconds.
DEADLINE = 180

linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def case(case_id: str):
    """The case of the table this test checks (so that the table and the tests agree)."""
    found = [c for c in CASES if c.id == case_id]
    assert found and found[0].test, case_id
    return found[0]


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    from evalkit.datasets import make_demo_study

    return make_demo_study(tmp_path_factory.mktemp("study"), n_sites=2, n_per_site=20)


# -- processes ---------------------------------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # after the command name, which may hold spaces


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent does not)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (workers, kernels, their helpers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def wait_for(condition, deadline: float = DEADLINE, what: str = "") -> None:
    """Wait until ``condition()`` is true, looking often; fail with ``what`` at the deadline."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"not within {deadline} s: {what}")
        time.sleep(0.05)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Runs:
    """Start ``evalkit`` in subprocesses; on teardown, kill each and everything below it."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []
        self.seen: set[int] = set()

    def start(self, *args: str, env: dict | None = None) -> subprocess.Popen:
        full = {**os.environ, "EVALKIT_LANG": "en", "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONPATH": os.pathsep.join([str(SRC), str(HERE.parent)]), **(env or {})}
        # Ctrl-C as a user's terminal delivers it: a SIGINT ignored by the test process (a
        # library may leave it so) would be inherited, and Python keeps an ignored SIGINT.
        process = subprocess.Popen([sys.executable, str(HERE / "stub_run.py"), *args], env=full,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   preexec_fn=_default_sigint if os.name == "posix" else None)
        self.started.append(process)
        return process

    def remember(self, process: subprocess.Popen) -> set[int]:
        found = descendants(process.pid)
        self.seen |= found
        return found

    def kill_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                self.seen |= descendants(process.pid)
                process.kill()
            process.communicate()
        for pid in self.seen:
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


@pytest.fixture
def runs():
    started = Runs()
    yield started
    started.kill_all()


def run_args(study: Path, out: Path, *extra: str) -> list[str]:
    return ["run", str(study), "--out", str(out), "--notebooks", str(NOTEBOOKS), "--lang", "fr",
            "--quiet", *extra]


def started_slow(out: Path) -> list[Path]:
    return list(out.glob("*/.*.incomplete/.work/slow_started"))


# -- notebooks that fail -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def failing_run(study, tmp_path_factory):
    out = tmp_path_factory.mktemp("failing")
    result = run_study(study, out=out, notebooks=NOTEBOOKS, only="hello,fail_kill,fail_timeout",
                       lang="fr", timeout=5, quiet=True, stage_overrides=OVERRIDES)
    return result


@linux_only
def test_a_killed_kernel_fails_only_its_notebook(failing_run):
    expected = case("kernel_killed")
    statuses = {r["key"]: r["status"] for r in failing_run.notebooks}
    assert statuses == {"hello": "ok", "fail_kill": "failed", "fail_timeout": "failed"}
    assert failing_run.exit_code == expected.exit
    kill = next(r for r in failing_run.notebooks if r["key"] == "fail_kill")
    assert kill["failure"]["kind"] == "dead_kernel" and kill["failure"]["cell_index"] == 3
    summary = failing_run.summary("en")
    assert expected.words in summary
    assert "le noyau s'est arrêté" in failing_run.summary("fr")


def test_a_cell_past_its_time_limit_is_named(failing_run):
    expected = case("cell_timeout")
    record = next(r for r in failing_run.notebooks if r["key"] == "fail_timeout")
    assert record["failure"]["kind"] == "timeout"
    assert record["failure"]["cell_first_line"] == "time.sleep(120)"
    assert expected.words in failing_run.summary("en")
    assert failing_run.exit_code == expected.exit


# -- the run itself stopped ----------------------------------------------------------------------

@linux_only
@pytest.mark.parametrize("signum, case_id", [(signal.SIGINT, "ctrl_c"),
                                             (signal.SIGTERM, "sigterm")])
def test_an_interrupt_ends_the_run_within_ten_seconds(study, tmp_path, runs, signum, case_id):
    expected = case(case_id)
    out = tmp_path / "reports"
    process = runs.start(*run_args(study, out, "--only", "slow"))
    wait_for(lambda: started_slow(out) or process.poll() is not None, what="the notebook starts")
    assert process.poll() is None, process.communicate()
    below = runs.remember(process)
    assert len(below) >= 2  # a worker and its kernel (at least)
    sent = time.monotonic()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=DEADLINE)
    took = time.monotonic() - sent
    assert process.returncode == expected.exit, stderr
    assert took < 10, f"the run took {took:.1f} s to end"
    assert "interrupted / interrompu" in stderr and "Traceback" not in stderr
    assert not [p for p in (out / "demo-estrie").iterdir() if p.is_dir()]  # no run folder
    assert not list(out.rglob("manifest.json")) and not list(out.rglob("index.html"))
    wait_for(lambda: not any(alive(pid) for pid in below), deadline=30,
             what="the workers and kernels end with the run")


@linux_only
def test_killing_the_run_leaves_no_process_and_the_next_run_cleans_up(study, tmp_path, runs):
    expected = case("parent_killed")
    out = tmp_path / "reports"
    process = runs.start(*run_args(study, out, "--only", "slow"))
    wait_for(lambda: started_slow(out) or process.poll() is not None, what="the notebook starts")
    assert process.poll() is None, process.communicate()
    below = runs.remember(process)
    leftover = started_slow(out)[0].parents[1]
    process.kill()  # kill -9: nothing of evalkit runs in that process any more
    process.communicate()
    assert 128 - process.returncode == expected.exit  # -9: killed, as a shell says 137
    # Workers end with their parent (parent-death signal), kernels with their worker.
    wait_for(lambda: not any(alive(pid) for pid in below), deadline=30,
             what=f"no process outlives the run: {sorted(p for p in below if alive(p))}")
    assert leftover.is_dir()  # the killed run could not clean up after itself...
    second = runs.start(*run_args(study, out, "--only", "hello"))
    stdout, stderr = second.communicate(timeout=DEADLINE)
    assert second.returncode == 0, stderr
    assert not leftover.exists()  # ...the next run does, and says so
    cleaned = case("leftover_folder")
    assert f"Removed {leftover.name}: the unfinished folder of a run that was stopped" in stdout
    assert cleaned.exit == second.returncode
    run = json.loads(next(out.glob("demo-estrie/*/manifest.json")).read_text())
    assert run["leftovers"][0]["name"] == leftover.name
    assert run["leftovers"][0]["action"] == "removed"


@linux_only
def test_two_runs_at_once_get_their_own_folders(study, tmp_path, runs):
    expected = case("two_runs")
    out = tmp_path / "reports"
    both = [runs.start(*run_args(study, out, "--only", "hello")) for _ in range(2)]
    results = [p.communicate(timeout=DEADLINE) for p in both]
    assert [p.returncode for p in both] == [expected.exit] * 2, results
    folders = sorted(p for p in (out / "demo-estrie").iterdir() if p.is_dir())
    assert len(folders) == 2 and not [p for p in folders if p.name.startswith(".")]
    ids = {json.loads((f / "manifest.json").read_text())["run_id"] for f in folders}
    assert ids == {f.name for f in folders}
    for folder in folders:  # each complete, neither removed as the other's leftover
        assert (folder / "index.html").is_file() and (folder / "tables" / "counts.csv").is_file()
        assert json.loads((folder / "manifest.json").read_text())["leftovers"] == []


# -- the disk -------------------------------------------------------------------------------------

def test_a_full_disk_is_said_and_leaves_nothing(study, tmp_path, monkeypatch, capsys):
    """ENOSPC cannot be had from a real disk without privileges: the system's answer is given
    where a full disk gives it, when a file is flushed to disk (``fsync``)."""
    expected = case("disk_full")
    out = tmp_path / "reports"
    real_fsync = os.fsync

    def full_disk(fd: int) -> None:
        if ".incomplete" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to know which file is written")
    monkeypatch.setattr(os, "fsync", full_disk)
    monkeypatch.setitem(stub_run_stages(), "prepare", stub_run.prepare)
    code = main(["--lang", "en", *run_args(study, out, "--only", "hello")])
    err = capsys.readouterr().err
    assert code == expected.exit, err
    assert expected.words in err and "Free some space" in err and "Traceback" not in err
    assert [p.name for p in (out / "demo-estrie").iterdir()] == ["validation.csv"]


def stub_run_stages() -> dict:
    from evalkit.run.stages import stages

    return stages._stages


def test_a_file_size_limit_is_said_plainly(tmp_path):
    """A real limit of the system: files may not grow beyond 1 KiB (RLIMIT_FSIZE)."""
    expected = case("file_size_limit")
    study = write_base_study(tmp_path / "etude")
    csv = study.parent / "donnees" / "reponses_t0.csv"
    csv.write_bytes(csv.read_bytes().replace(b";usager;", b";usagere;"))  # a problem per row
    out = tmp_path / "sortie"
    out.mkdir()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    from evalkit.prepare.keys import generate_key

    env = {**os.environ, "EVALKIT_LANG": "en", "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONPATH": str(SRC), "EVALKIT_ROBUSTNESS_KEY": generate_key()}
    done = subprocess.run([sys.executable, "-m", "evalkit", "validate", str(study), "--out",
                           str(out / "validation.csv")], env=env, capture_output=True, text=True,
                          preexec_fn=limit, timeout=DEADLINE)
    assert done.returncode == expected.exit, done.stderr
    assert expected.words in done.stderr and "File too large" in done.stderr
    assert list(out.iterdir()) == []  # no half-written validation.csv


def test_a_read_only_output_folder_is_refused_at_once(study, tmp_path, monkeypatch, capsys):
    expected = case("read_only_out")
    out = tmp_path / "lecture-seule"
    out.mkdir()
    out.chmod(0o555)
    try:
        tempfile.mkstemp(dir=out)
    except PermissionError:
        pass  # a real read-only folder
    else:  # the superuser writes anywhere: give the answer of a read-only disk where asked
        shutil.rmtree(out)
        out.mkdir()
        real = tempfile.mkstemp

        def read_only(*args, dir=None, **kwargs):
            if dir is not None and str(dir).startswith(str(out)):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dir))
            return real(*args, dir=dir, **kwargs)

        real_mkdir = Path.mkdir

        def no_folder(self, *args, **kwargs):
            if str(self).startswith(str(out)) and self != out:
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
            return real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", read_only)
        monkeypatch.setattr(Path, "mkdir", no_folder)
    try:
        code = main(["--lang", "en", *run_args(study, out, "--only", "hello")])
        err = capsys.readouterr().err
        assert code == expected.exit, err
        assert expected.words in err and "Choose a folder you can write to" in err
        assert list(out.iterdir()) == []
        code = main(["--lang", "fr", "validate", str(study), "--out",
                     str(out / "validation.csv")])
        err = capsys.readouterr().err
        assert code == 2 and "evalkit ne peut pas écrire ici" in err, err
        assert list(out.iterdir()) == []
    finally:
        out.chmod(0o755)
    a_file = tmp_path / "reports.txt"  # --out naming a file, not a folder
    a_file.write_text("x")
    assert main(["--lang", "en", *run_args(study, a_file, "--only", "hello")]) == 2
    assert "evalkit cannot write here (the system says: 'Not a directory')" in \
        capsys.readouterr().err
    assert a_file.read_text() == "x"


# -- resuming a damaged run ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def one_run(study, tmp_path_factory):
    """A finished run of one per-site notebook, for one site."""
    out = tmp_path_factory.mktemp("finished") / "reports"
    result = run_study(study, out=out, notebooks=NOTEBOOKS, only="site_profile", sites="B",
                       lang="fr", quiet=True, stage_overrides=OVERRIDES)
    assert result.status == "ok"
    return result


@pytest.fixture
def finished(one_run, tmp_path):
    """A copy of that run, in a reports folder of the test's own, to damage."""
    out = tmp_path / "reports"
    shutil.copytree(one_run.run_dir.parents[1], out, symlinks=True)
    return type(one_run)(one_run.run_id, out / one_run.run_dir.parent.name / one_run.run_id,
                         one_run.status, one_run.notebooks, one_run.rerun, one_run.manifest)


def test_resume_refuses_a_damaged_manifest(study, finished, capsys):
    expected = case("resume_truncated_manifest")
    manifest = finished.run_dir / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:300])
    before = sorted(p.name for p in finished.run_dir.parent.iterdir())
    args = ["run", str(study), "--out", str(finished.run_dir.parents[1]), "--notebooks",
            str(NOTEBOOKS), "--resume", finished.run_id, "--quiet"]
    assert main(["--lang", "en", *args]) == expected.exit
    err = capsys.readouterr().err
    assert expected.words in err and "Start a new run (without --resume)" in err
    assert main(["--lang", "fr", *args]) == 2
    assert "son manifeste est endommagé" in capsys.readouterr().err
    assert sorted(p.name for p in finished.run_dir.parent.iterdir()) == before
    unknown = case("resume_unknown_run")
    args[args.index(finished.run_id)] = "19990101-000000"
    assert main(["--lang", "en", *args]) == unknown.exit
    assert "no run 19990101-000000 to resume" in capsys.readouterr().err


def test_resume_recreates_what_was_deleted_or_changed(study, finished):
    run = finished.run_dir
    table = (run / "tables" / "counts.csv").read_bytes()
    (run / "tables" / "counts.csv").unlink()
    page = run / "html" / "site_profile.B.fr.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", "<p>ajout</p></body>"),
                    encoding="utf-8")
    resumed = run_study(study, out=run.parents[1], notebooks=NOTEBOOKS, resume=finished.run_id,
                        quiet=True, stage_overrides=OVERRIDES)
    assert (resumed.status, resumed.exit_code) == ("ok", case("resume_missing_table").exit)
    assert (run / "tables" / "counts.csv").read_bytes() == table
    assert resumed.rerun == ["site_profile.B"]  # the page's notebook
    assert "ajout" not in page.read_text(encoding="utf-8")
    assert "Re-created (missing or changed since the run): html/site_profile.B.fr.html, " \
           "tables/counts.csv" in resumed.summary("en")
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["resumed"][-1]["repaired"] == {"tables/counts.csv": "missing",
                                                   "html/site_profile.B.fr.html": "changed"}
    for path, digest in manifest["files"].items():  # the folder holds what it claims
        from evalkit.run.manifest import sha256_file

        assert sha256_file(run / path) == digest, path
    # A file no step of the run can make again is named, and the run says it is not whole.
    lost = case("resume_lost_file")
    (run / "figures" / "stub.png").unlink()
    again = run_study(study, out=run.parents[1], notebooks=NOTEBOOKS, resume=finished.run_id,
                      quiet=True, stage_overrides=OVERRIDES)
    assert again.exit_code == lost.exit
    assert f"{lost.words}: figures/stub.png" in again.summary("en")
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["missing"] == ["figures/stub.png"] and "figures/stub.png" not in \
        manifest["files"]


def test_resume_of_a_run_that_does_not_exist(study, tmp_path):
    with pytest.raises(ConfigError, match="no run 19990101-000000 to resume"):
        run_study(study, out=tmp_path, notebooks=NOTEBOOKS, resume="19990101-000000")
