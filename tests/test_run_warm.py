"""Warm kernels: each notebook runs in a kernel forked from a template that has the libraries
imported; nothing one notebook does is seen by the next, a crash takes only its own kernel, and
the template and its kernels end with the process that started them."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from evalkit.datasets import make_demo_study
from evalkit.run import execute, warm
from evalkit.run.execute import run_job
from evalkit.run.jobs import Job

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="warm kernels are forked on Linux only")
PARAMETERS = 'study_file = ""\nrun_dir = ".."\nlang = "fr"\nseed = 1\nbootstrap = 10\n' \
             'confidence = 0.95\nci = False'
# What a notebook can leave behind in its process: a variable, a module it imported (and the
# module's side effect on a library), an rcParam, a pandas option, a warnings filter, the
# environment, the working folder.
LEAVE = """
import os, sys, warnings
import matplotlib, pandas
sys.path.insert(0, {folder!r})
import planted_module
leak = 42
matplotlib.rcParams["lines.linewidth"] = 9.5
pandas.set_option("display.max_rows", 3)
warnings.filterwarnings("error", message="planted")
os.environ["EVALKIT_PLANTED"] = "1"
os.chdir({folder!r})
"""
LOOK = """
import os, sys, warnings
import matplotlib, pandas
preloaded = "seaborn" in sys.modules and "statsmodels.api" in sys.modules
seen = {{
    "variable": "leak" in globals(),
    "module": "planted_module" in sys.modules or hasattr(pandas, "planted_attribute"),
    "rcparam": matplotlib.rcParams["lines.linewidth"] == 9.5,
    "option": pandas.get_option("display.max_rows") == 3,
    "warnings": any("planted" in str(f[1]) for f in warnings.filters),
    "environment": "EVALKIT_PLANTED" in os.environ,
    "folder": os.getcwd() == {folder!r},
}}
print("PRELOADED", preloaded)
print("SEEN", sorted(k for k, v in seen.items() if v))
from evalkit.i18n import catalogue
from evalkit.analyse.catalogue import catalogue as tables
print("CATALOGUES", catalogue.cache_info().currsize + tables.cache_info().currsize)
print("HISTORY", get_ipython().history_manager.enabled)
"""


def _notebook(path: Path, *cells: str) -> Path:
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "evalkit", "display_name": "evalkit",
                                   "language": "python"}
    first = nbformat.v4.new_code_cell(PARAMETERS)
    first.metadata["tags"] = ["parameters"]
    book.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nbformat.write(book, path)
    return path


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return make_demo_study(tmp_path_factory.mktemp("study"), n_sites=2, n_per_site=20,
                           formats="plain")


@pytest.fixture
def run_dir(tmp_path):
    for folder in ("notebooks", "html", "tables", ".work"):
        (tmp_path / folder).mkdir()
    yield tmp_path
    execute.discard_kernel_ahead()
    warm.stop_template()


@pytest.fixture(params=[False, True], ids=["one_at_a_time", "started_ahead"])
def ahead(request, monkeypatch):
    """Kernels started when needed, or each started while the notebook before runs (as a
    local run's workers do)."""
    monkeypatch.setattr(execute, "_AHEAD_ON", request.param)
    yield request.param
    execute.discard_kernel_ahead()


@pytest.fixture(params=["own", "shared"])
def kernels(request, monkeypatch):
    """Kernels forked from this process's own template, or from a template another process
    shares (as a local run's workers do): None, or that shared template."""
    monkeypatch.setenv(warm.ENV_SWITCH, "1")
    if request.param == "own":
        yield None
        return
    shared = warm.KernelTemplate(shared=True)
    warm.share(shared.address)
    try:
        yield shared
    finally:
        warm.stop_template()
        warm.share(None)
        shared.close()


def _job(run_dir: Path, study: Path, source: Path) -> Job:
    parameters = {"study_file": str(study), "run_dir": "..", "lang": "en", "seed": 5,
                  "bootstrap": 3, "confidence": 0.9, "ci": True}
    return Job(key=source.stem, notebook=source.stem, source=str(source), lang="en", site=None,
               parameters=parameters, run_dir=str(run_dir), timeout=60, languages=("en",),
               titles={"en": source.stem})


def _printed(run_dir: Path, key: str) -> str:
    book = nbformat.read(run_dir / "notebooks" / f"{key}.ipynb", as_version=4)
    return "".join(o.get("text", "") for c in book.cells for o in c.get("outputs", []))


@linux_only
def test_nothing_one_notebook_does_is_seen_by_the_next(run_dir, study, ahead, kernels):
    folder = run_dir / "planted"
    folder.mkdir()
    (folder / "planted_module.py").write_text(
        "import pandas\npandas.planted_attribute = True\n", encoding="utf-8")
    leave = _notebook(run_dir / "leave.ipynb", LEAVE.format(folder=str(folder)))
    look = _notebook(run_dir / "look.ipynb", LOOK.format(folder=str(folder)))
    first = run_job(_job(run_dir, study, leave))
    assert first.status == "ok", first.failure
    # The same notebook that looks, before and after: it must see nothing either time.
    for source in (look, leave, look):
        result = run_job(_job(run_dir, study, source))
        assert result.status == "ok", result.failure
    text = _printed(run_dir, "look")
    assert "PRELOADED True" in text  # a warm kernel indeed: the libraries were there
    assert "SEEN []" in text
    # The template read the message catalogues once, for every kernel it forks; no kernel
    # writes IPython's history file.
    assert "CATALOGUES 3" in text
    assert "HISTORY False" in text
    if kernels is not None:  # and these kernels were the shared template's
        assert isinstance(warm.template(), warm.SharedTemplate)
        assert warm.template().pid == kernels.pid


@linux_only
def test_without_warm_kernels_a_new_interpreter_runs_each_notebook(run_dir, study,
                                                                   monkeypatch):
    monkeypatch.setenv(warm.ENV_SWITCH, "0")
    look = _notebook(run_dir / "look.ipynb", LOOK.format(folder=str(run_dir)))
    assert run_job(_job(run_dir, study, look)).status == "ok"
    assert "PRELOADED False" in _printed(run_dir, "look")
    assert "CATALOGUES 0" in _printed(run_dir, "look")
    assert "HISTORY False" in _printed(run_dir, "look")
    assert warm.template(start=False) is None


@linux_only
def test_a_notebook_that_kills_its_kernel_fails_alone(run_dir, study, ahead, kernels):
    kill = _notebook(run_dir / "kill.ipynb", "import os, signal",
                     "os.kill(os.getpid(), signal.SIGKILL)", "print('never')")
    crash = _notebook(run_dir / "crash.ipynb", "import ctypes", "ctypes.string_at(0)")
    after = _notebook(run_dir / "after.ipynb", "print('AFTER', 6 * 7)")
    template = warm.template()
    for source in (kill, crash):
        result = run_job(_job(run_dir, study, source))
        assert result.status == "failed"
        assert result.failure["kind"] == "dead_kernel"
        assert result.failure["cell_index"] == 3  # the injected parameters cell is index 1
    result = run_job(_job(run_dir, study, after))
    assert result.status == "ok" and "AFTER 42" in _printed(run_dir, "after")
    assert warm.template() is template and template.alive()
    if kernels is not None:
        assert kernels.alive()


@linux_only
def test_a_cell_over_its_time_limit_is_named(run_dir, study, monkeypatch, ahead):
    monkeypatch.setenv(warm.ENV_SWITCH, "1")
    slow = _notebook(run_dir / "slow.ipynb", "import time", "time.sleep(600)")
    job = dataclasses.replace(_job(run_dir, study, slow), timeout=3)
    result = run_job(job)
    assert result.failure["kind"] == "timeout" and result.failure["cell_index"] == 3
    assert result.failure["cell_first_line"] == "time.sleep(600)"


# -- kernels started ahead ---------------------------------------------------------------------
PID = "import os\nprint('PID', os.getpid())"


def _pid(run_dir: Path, key: str) -> int:
    return int(_printed(run_dir, key).split("PID", 1)[1].split()[0])


@pytest.fixture
def held(run_dir, study, monkeypatch):
    """A worker that starts kernels ahead has run one notebook (``first``, which prints its
    kernel's pid): the pid of the kernel it holds for the next one."""
    monkeypatch.setenv(warm.ENV_SWITCH, "1")
    monkeypatch.setattr(execute, "_AHEAD_ON", True)
    first = _notebook(run_dir / "first.ipynb", PID)
    assert run_job(_job(run_dir, study, first)).status == "ok"
    return execute._AHEAD.pid


@linux_only
def test_the_next_notebooks_kernel_starts_while_one_runs(run_dir, study, held):
    assert held != _pid(run_dir, "first") and _alive(held)
    assert held in execute._KERNEL_PIDS  # killed with the worker's kernels if it is stopped
    second = _notebook(run_dir / "second.ipynb", PID)
    assert run_job(_job(run_dir, study, second)).status == "ok"
    assert _pid(run_dir, "second") == held  # the second notebook ran on it
    assert _wait_for(lambda: not _alive(held))  # and it ended with its notebook
    assert held not in execute._KERNEL_PIDS
    last = execute._AHEAD.pid
    execute.discard_kernel_ahead()  # the worker stops: the kernel no notebook took ends
    assert execute._AHEAD is None and _wait_for(lambda: not _alive(last))
    assert not execute._KERNEL_PIDS


@linux_only
def test_a_kernel_started_ahead_that_died_is_replaced(run_dir, study, held):
    os.killpg(held, signal.SIGKILL)
    assert _wait_for(lambda: not _alive(held))
    second = _notebook(run_dir / "second.ipynb", PID)
    result = run_job(_job(run_dir, study, second))
    assert result.status == "ok" and result.attempts == 1
    assert _pid(run_dir, "second") not in (held, _pid(run_dir, "first"))


@linux_only
def test_a_kernel_started_ahead_runs_only_a_notebook_of_its_folder(run_dir, study, held):
    other = _notebook(run_dir / "other.ipynb", PID + "\nprint('CWD', os.getcwd())")
    elsewhere = run_dir / "another_run"
    for folder in ("notebooks", "html", "tables", ".work"):
        (elsewhere / folder).mkdir(parents=True)
    assert run_job(_job(elsewhere, study, other)).status == "ok"
    text = _printed(elsewhere, "other")
    assert f"CWD {elsewhere / 'notebooks'}" in text and f"PID {held}" not in text
    assert _wait_for(lambda: not _alive(held))


@linux_only
def test_what_a_kernel_started_ahead_writes_itself_is_in_its_notebooks_log(run_dir, study,
                                                                          held):
    # Output written to the process's own descriptors (C libraries, faulthandler), not to
    # the notebook, goes to the notebook's log, as for a kernel started for it.
    second = _notebook(run_dir / "second.ipynb",
                       PID + "\nos.write(2, b'WRITTEN BY THE PROCESS\\n')")
    job = _job(run_dir, study, second)
    assert run_job(job).status == "ok"
    assert _pid(run_dir, "second") == held  # it ran on the kernel started ahead
    assert "WRITTEN BY THE PROCESS" in (run_dir / job.log).read_text(encoding="utf-8")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@linux_only
@pytest.mark.parametrize("how", ["killed", "ends"])
def test_the_template_and_its_kernels_end_with_their_process(tmp_path, how):
    # A process starts a template and has a kernel forked; when it is killed (kill -9) or
    # simply ends, the template and the kernel end too.
    script = textwrap.dedent(f"""
        import os, sys, time
        from jupyter_client.connect import write_connection_file
        from evalkit.run import warm
        template = warm.template()
        connection, _ = write_connection_file({str(tmp_path / "kernel.json")!r})
        kernel = template.fork_kernel(["-f", connection], env=dict(os.environ),
                                      cwd={str(tmp_path)!r})
        print(template.pid, kernel.pid, flush=True)
        if {how!r} == "killed":
            time.sleep(600)
    """)
    process = _python(script)
    try:
        template_pid, kernel_pid = map(int, process.stdout.readline().split())
        assert os.getpgid(kernel_pid) == kernel_pid  # the kernel leads its own group
        if how == "killed":
            assert _alive(template_pid) and _alive(kernel_pid)
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert _wait_for(lambda: not _alive(template_pid) and not _alive(kernel_pid)), \
            "the template or its kernel outlived the process that started them"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _python(script: str) -> subprocess.Popen:
    """``script`` run by a new interpreter with warm kernels on and this checkout's evalkit;
    its output read by the test."""
    env = {**os.environ, warm.ENV_SWITCH: "1"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src") + os.pathsep + \
        env.get("PYTHONPATH", "")
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)


def test_only_this_interpreters_ipykernel_is_forked():
    from evalkit.run.kernel import _ipykernel_arguments

    here = sys.executable
    assert _ipykernel_arguments([here, "-m", "ipykernel_launcher", "-f", "c.json"]) == \
        ["-f", "c.json"]
    assert _ipykernel_arguments([here, "-Xfrozen_modules=off", "-m", "ipykernel_launcher",
                                 "-f", "c.json"]) == ["-f", "c.json"]
    assert _ipykernel_arguments(["/elsewhere/python", "-m", "ipykernel_launcher"]) is None
    assert _ipykernel_arguments([here, "-m", "other_kernel", "-f", "c.json"]) is None
    assert _ipykernel_arguments([here, "-E", "-m", "ipykernel_launcher"]) is None


@linux_only
def test_closing_the_template_ends_it_by_its_own_exit():
    # A worker that stops closes its connection; the template sees the end of it and exits
    # (status 0), instead of being killed when close() gives up waiting (status -9).
    template = warm.KernelTemplate()
    try:
        assert template._reply(warm.READY_SECONDS)["ready"]
    finally:
        template.close()
    assert template.process.returncode == 0


def test_every_warm_up_of_the_template_runs():
    # Each is a 'module:function' the template calls before forking; one that no longer
    # exists would be skipped in silence, and every kernel would pay for it again.
    assert warm._warm_caches() == []
    for reference in warm.WARM_UP:
        assert ":" in reference and " " not in reference


#: What a kernel forked from the template imports while it starts and reads a released
#: table, printed to a file (the kernel application takes over standard output).
STARTING = """
import os, sys, tempfile
from evalkit.run import warm
missing = warm._preload() + warm._warm_caches()
before = set(sys.modules)
from ipykernel.kernelapp import IPKernelApp
folder = sys.argv[1]
app = IPKernelApp.instance()
app.initialize([f"--IPKernelApp.connection_file={folder}/kernel.json",
                "--HistoryManager.enabled=False"])
import pandas
pandas.DataFrame({"a": [1, 2]}).to_parquet(f"{folder}/table.parquet")
pandas.read_parquet(f"{folder}/table.parquet")
with open(f"{folder}/modules.txt", "w") as out:
    out.write("\\n".join(["MISSING " + m for m in missing] + sorted(set(sys.modules) - before)))
os._exit(0)
"""


@linux_only
def test_a_kernel_imports_nothing_heavy_of_its_own_while_it_starts(tmp_path):
    # Each forked kernel used to import ipykernel's debugger (debugpy and pydevd, some 250
    # modules) while starting, and pyarrow's parquet reader on its first table: CPU every
    # site profile paid again. The template imports them once.
    subprocess.run([sys.executable, "-c", STARTING, str(tmp_path)], check=True, timeout=180,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    new = (tmp_path / "modules.txt").read_text(encoding="utf-8").split()
    assert not [m for m in new if m == "MISSING"], new
    heavy = {"debugpy", "pydevd", "_pydevd_bundle", "psutil", "pyarrow", "tornado", "IPython",
             "ipykernel", "pdb"}
    assert not [m for m in new if m.split(".")[0] in heavy], new
    assert len(new) <= 5, new


#: What a kernel finds read ahead by its template, and the table it reads.
READ_AHEAD = """
from pathlib import Path
from evalkit.analyse import results
from evalkit.config import _yaml
frame = results.read_frame(Path({table!r}))
print("FRAMES", len(results._PRIMED))
print("STUDY", any(key[0].endswith("study.yaml") for key in _yaml._PARSED))
print("ROWS", frame["n"].tolist())
frame.loc[0, "n"] = 999  # its own copy: the next kernel does not see it
"""


@linux_only
def test_kernels_find_their_run_read_ahead_and_its_files_as_they_are(run_dir, study,
                                                                        monkeypatch):
    # Before it forks a run's kernels, the template reads the study and the run's tables
    # once; a kernel still gets what the files hold now, and its own copy.
    import pandas as pd

    monkeypatch.setenv(warm.ENV_SWITCH, "1")
    stored = run_dir / ".work" / "results"
    (stored / "released").mkdir(parents=True)
    table = stored / "released" / "counts.parquet"
    pd.DataFrame({"site": ["A", "B"], "n": [12, 30]}).to_parquet(table, index=False)
    pd.DataFrame({"x": [1.5]}).to_parquet(stored / "private.parquet", index=False)
    book = _notebook(run_dir / "read.ipynb", READ_AHEAD.format(table=str(table)))
    for _ in range(2):
        result = run_job(_job(run_dir, study, book))
        assert result.status == "ok", result.failure
        text = _printed(run_dir, "read")
        assert "FRAMES 2" in text and "STUDY True" in text
        assert "ROWS [12, 30]" in text
    pd.DataFrame({"site": ["A"], "n": [7]}).to_parquet(table, index=False)  # changed since
    result = run_job(_job(run_dir, study, book))
    assert result.status == "ok", result.failure
    assert "ROWS [7]" in _printed(run_dir, "read")


def test_a_template_reads_a_run_ahead_once(tmp_path, monkeypatch):
    import pandas as pd

    from evalkit.analyse import results

    monkeypatch.setattr(results, "_PRIMED", {})
    study = make_demo_study(tmp_path / "study", n_sites=2, n_per_site=10, formats="plain")
    stored = tmp_path / "run" / ".work" / "results"
    (stored / "released").mkdir(parents=True)
    pd.DataFrame({"n": [1, 2]}).to_parquet(stored / "released" / "a.parquet", index=False)
    assert warm._prime({"study_file": str(study), "run_dir": str(tmp_path / "run")}) == []
    assert len(results._PRIMED) == 1
    # A run folder without results (or a study that cannot be read): nothing read ahead,
    # the kernels read the files themselves.
    failed = warm._prime({"study_file": str(tmp_path / "none.yaml"),
                          "run_dir": str(tmp_path / "run")})
    assert failed == ["evalkit.present.session:prime: ConfigError"]


def test_a_template_judges_ahead_the_funnel_every_site_profile_draws(tmp_path, monkeypatch):
    # The judged funnel is kept by the values of its tables: a kernel's own released tables
    # find it, and nothing is judged again.
    from evalkit.analyse.compute import compute_results
    from evalkit.config.study import load_study
    from evalkit.prepare.study import prepare_study
    from evalkit.present.plots import sites
    from evalkit.release.tables import released_frames, released_table, save_released

    monkeypatch.setattr(sites, "_JUDGED", {})
    study_file = make_demo_study(tmp_path / "study", n_sites=4, n_per_site=40, formats="plain")
    study = load_study(study_file)
    folder = tmp_path / "run" / ".work" / "results"
    results = compute_results(prepare_study(study), n_boot=100)
    results.save(folder)
    save_released(released_frames(results, policy=study.privacy), folder,
                  policy=study.privacy)
    assert warm._prime({"study_file": str(study_file), "run_dir": str(tmp_path / "run")}) == []
    assert len(sites._JUDGED) == 1

    def judged_again(*_):
        raise AssertionError("judged again")

    monkeypatch.setattr(sites, "_funnel_parts", judged_again)
    from evalkit.analyse.results import Results

    mine = Results.load(folder)
    text = sites.funnel_position(
        released_table(mine, "tokenism_funnel", policy=study.privacy),
        overdispersion=released_table(mine, "tokenism_overdispersion", policy=study.privacy),
        site=mine.meta["sites"][0], lang="fr")
    assert mine.meta["sites"][0] in text


@linux_only
def test_the_template_keeps_large_buffers_in_its_heap_unless_told_otherwise(monkeypatch):
    # glibc reads these when the template starts; its kernels inherit what it set.
    def environment(template) -> dict:
        raw = Path(f"/proc/{template.pid}/environ").read_bytes().split(b"\0")
        return dict(item.decode().split("=", 1) for item in raw if b"=" in item)

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    template = warm.KernelTemplate()
    try:  # read once the new program runs (not the parent's copy, just after the fork)
        assert _wait_for(lambda: "MALLOC_TRIM_THRESHOLD_" in environment(template))
        seen = environment(template)
    finally:
        template.close()
    assert seen["MALLOC_MMAP_THRESHOLD_"] == "65536"  # the user's setting stays
    assert seen["MALLOC_TRIM_THRESHOLD_"] == warm.MALLOC["MALLOC_TRIM_THRESHOLD_"]


@linux_only
def test_a_template_that_does_not_answer_in_time_is_replaced(tmp_path, monkeypatch):
    # Its late answer would be read as the next request's (a run ahead, a kernel): the
    # template is ended, the worker starts another.
    monkeypatch.setenv(warm.ENV_SWITCH, "1")
    first = warm.template()
    try:
        assert first.prime(str(tmp_path / "none.yaml"), str(tmp_path)) is False  # ready now

        class Silent:  # the answer that does not come in time
            def readline(self):
                raise TimeoutError("timed out")

        reader, first._reader = first._reader, Silent()
        with pytest.raises(OSError):
            first.prime(str(tmp_path / "study.yaml"), str(tmp_path))
        first._reader = reader
        assert _wait_for(lambda: first.process.poll() is not None)
        second = warm.template()
        assert second is not first and second.process.poll() is None
    finally:
        warm.stop_template()


def test_every_run_ahead_step_names_a_function():
    # A step that no longer exists would fail in every template, in silence, and every
    # kernel would read the run itself again.
    import importlib

    for reference in warm.PRIMERS:
        module, _, function = reference.partition(":")
        assert callable(getattr(importlib.import_module(module), function)), reference


# -- one template shared by the workers of a run ------------------------------------------------
def _connection_file(folder: Path, name: str) -> str:
    from jupyter_client.connect import write_connection_file

    return write_connection_file(str(folder / f"{name}.json"))[0]


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _fork(client, folder: Path, name: str):
    return client.fork_kernel(["-f", _connection_file(folder, name)], env=dict(os.environ),
                              cwd=str(folder))


@linux_only
def test_the_workers_of_a_run_fork_their_kernels_from_one_template(tmp_path):
    owner = warm.KernelTemplate(shared=True)
    folder = Path(owner.address).parent
    kernels = []
    try:
        assert folder.stat().st_mode & 0o777 == 0o700  # only this user reaches the socket
        first, second = warm.SharedTemplate(owner.address), warm.SharedTemplate(owner.address)
        kernels = [_fork(first, tmp_path, "a"), _fork(second, tmp_path, "b")]
        assert first.pid == second.pid == owner.pid
        assert [_parent(k.pid) for k in kernels] == [owner.pid, owner.pid]
        # A worker that goes takes its kernels with it; the other's stay, and it is served on.
        first.close()
        assert _wait_for(lambda: not _alive(kernels[0].pid))
        assert _alive(kernels[1].pid)
        kernels.append(_fork(second, tmp_path, "c"))
        assert _parent(kernels[-1].pid) == owner.pid
    finally:
        owner.close()
    # The run closes it: the template ends by its own exit, with its kernels and its folder.
    assert owner.process.returncode == 0
    assert _wait_for(lambda: not any(_alive(k.pid) for k in kernels))
    assert not folder.exists()


@linux_only
@pytest.mark.parametrize("who", ["worker", "run"])
def test_a_shared_template_outlives_no_one(tmp_path, who):
    # A worker killed with kill -9: the kernels forked for it end, the template serves on.
    # The run killed with kill -9: the template, every kernel and the socket's folder go.
    owner = warm.KernelTemplate(shared=True) if who == "worker" else None
    script = textwrap.dedent(f"""
        import os, sys, time
        from evalkit.run import warm
        owner = warm.KernelTemplate(shared=True) if {who!r} == "run" else None
        client = warm.SharedTemplate(owner.address if owner else {getattr(owner, "address", "")!r})
        kernel = client.fork_kernel(["-f", {_connection_file(tmp_path, "k")!r}],
                                    env=dict(os.environ), cwd={str(tmp_path)!r})
        print(client.pid, kernel.pid, client.address, flush=True)
        time.sleep(600)
    """)
    process = _python(script)
    try:
        template_pid, kernel_pid, address = process.stdout.readline().split()
        template_pid, kernel_pid = int(template_pid), int(kernel_pid)
        assert _alive(kernel_pid) and _parent(kernel_pid) == template_pid
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert _wait_for(lambda: not _alive(kernel_pid)), "a kernel outlived its worker"
        if who == "worker":
            assert owner.alive()
            other = warm.SharedTemplate(owner.address)
            assert _parent(_fork(other, tmp_path, "after").pid) == owner.pid
            other.close()
        else:
            assert _wait_for(lambda: not _alive(template_pid))
            assert _wait_for(lambda: not Path(address).parent.exists())
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if owner is not None:
            owner.close()


def test_a_shared_template_reads_a_run_ahead_once_for_all_workers(monkeypatch):
    import json
    import socket

    asked = []
    monkeypatch.setattr(warm, "_prime", lambda request: asked.append(request) or [])
    primed: dict = {}
    for _ in range(3):  # three workers, the same run
        ours, theirs = socket.socketpair()
        with ours, theirs:
            ours.sendall(b'{"prime": {"study_file": "s.yaml", "run_dir": "/r"}}\n')
            warm._serve_client(warm._Client(theirs), primed, [])
            assert json.loads(ours.makefile("rb").readline()) == {"primed": []}
    assert asked == [{"study_file": "s.yaml", "run_dir": "/r"}]


@linux_only
def test_a_shared_template_serves_its_user_only(monkeypatch):
    import socket

    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert warm._same_user(theirs)
        monkeypatch.setattr(warm.os, "getuid", lambda: os.geteuid() + 1)
        assert not warm._same_user(theirs)


@linux_only
def test_a_worker_whose_shared_template_cannot_be_reached_starts_its_own(tmp_path,
                                                                         monkeypatch):
    monkeypatch.setenv(warm.ENV_SWITCH, "1")
    warm.share(str(tmp_path / "no-template"))
    try:
        assert isinstance(warm.template(), warm.KernelTemplate)
    finally:
        warm.stop_template()
        warm.share(None)


@linux_only
def test_a_shared_template_that_does_not_answer_in_time_is_left_to_the_others(tmp_path,
                                                                             monkeypatch):
    # Only this worker's connection is given up (a late answer would be read as the next
    # request's); the template may serve the other workers well, and is not killed.
    monkeypatch.setenv(warm.ENV_SWITCH, "1")
    owner = warm.KernelTemplate(shared=True)
    warm.share(owner.address)
    try:
        first = warm.template()
        assert isinstance(first, warm.SharedTemplate)

        class Silent:
            def readline(self):
                raise TimeoutError("timed out")

            def close(self):
                pass

        first._reader = Silent()
        with pytest.raises(OSError):
            first.prime(str(tmp_path / "study.yaml"), str(tmp_path))
        assert not first.alive() and owner.alive()
        second = warm.template()
        assert isinstance(second, warm.KernelTemplate)  # this worker's own, from now on
        other = warm.SharedTemplate(owner.address)
        assert _parent(_fork(other, tmp_path, "k").pid) == owner.pid
        other.close()
    finally:
        warm.stop_template()
        warm.share(None)
        owner.close()


@linux_only
def test_the_kernels_of_a_local_runs_workers_come_from_the_runs_template(run_dir, study,
                                                                         monkeypatch):
    from evalkit.run.executors import LocalExecutor

    monkeypatch.setenv(warm.ENV_SWITCH, "1")
    books = [_notebook(run_dir / f"nb{i}.ipynb", "import os, time",
                       "print('PARENT', os.getppid())", "time.sleep(2)") for i in range(2)]
    executor = LocalExecutor(jobs=2)
    executor.start(2)
    try:
        template_pid = executor._template.pid
        results = executor.run([_job(run_dir, study, book) for book in books])
    finally:
        executor.close()
    assert [r.status for r in results] == ["ok", "ok"]
    parents = {int(_printed(run_dir, b.stem).split("PARENT", 1)[1].split()[0]) for b in books}
    assert parents == {template_pid}
    assert _wait_for(lambda: not _alive(template_pid))


@linux_only
def test_a_runs_template_imports_while_the_data_are_validated_and_ends_with_a_refusal(
        study, tmp_path, monkeypatch):
    from evalkit.errors import DataError
    from evalkit.run import run_study

    monkeypatch.setenv(warm.ENV_SWITCH, "1")
    seen = []

    def validate(ctx):  # a validation that finds errors, once it has looked for the template
        # (a process just started may show no command line for a moment, while it executes)
        _wait_for(lambda: seen.extend(p for p in _children(os.getpid())
                                      if "_serve" in _cmdline(p)) or seen, 10)
        raise DataError("the data have errors", where="responses.csv")

    with pytest.raises(DataError):
        run_study(study, out=tmp_path / "reports", notebooks=Path(__file__).parent / "notebooks",
                  only="hello", lang="fr", quiet=True, stage_overrides={"validate": validate})
    assert len(seen) == 1
    assert _wait_for(lambda: not _alive(seen[0]))  # the refused run took its template along


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = task / "children"
        if children.is_file():
            found += [int(p) for p in children.read_text().split()]
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
