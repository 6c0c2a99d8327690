"""Executing notebooks: every failure path, the summary and exit code, the executed copies, the
code-free pages, the kernel of this environment only, and the retry of a kernel start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from evalkit.datasets import make_demo_study
from evalkit.run.execute import find_failure, run_job
from evalkit.run.jobs import Job

NOTEBOOKS = Path(__file__).parent / "notebooks"
BROKEN = ["fail_exception", "fail_timeout", "fail_kill", "fail_exit"]
FAKE_PYTHON = "/nonexistent/python-elsewhere"


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m evalkit ARGS`` in a subprocess (as a user would run it)."""
    full = {**os.environ, "EVALKIT_LANG": "en", **(env or {})}
    full["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src") + os.pathsep + \
        full.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "evalkit", *args], env=full,
                          capture_output=True, text=True, timeout=600)


def _trap(root: Path) -> dict:
    """User-wide ``python3`` and ``evalkit`` kernelspecs pointing to a missing interpreter."""
    env = {"HOME": str(root / "home"), "JUPYTER_DATA_DIR": str(root / "data"),
           "JUPYTER_PATH": str(root / "path")}
    for base in (root / "data", root / "path", root / "home" / ".local" / "share" / "jupyter"):
        for name in ("python3", "evalkit"):
            folder = base / "kernels" / name
            folder.mkdir(parents=True)
            (folder / "kernel.json").write_text(json.dumps({
                "argv": [FAKE_PYTHON, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "elsewhere", "language": "python"}))
    return env


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory):
    """One run through the command line, with the kernelspec trap armed, of two good notebooks
    (one per site) and every broken one."""
    from evalkit.datasets import make_demo_study

    root = tmp_path_factory.mktemp("broken")
    study = make_demo_study(root / "study", n_sites=2, n_per_site=20)
    env = _trap(root)
    result = run_cli("run", str(study), "--out", str(root / "reports"), "--notebooks",
                     str(NOTEBOOKS), "--only", ",".join(["hello", "site_profile", *BROKEN]),
                     "--lang", "fr", "--timeout", "4", "--jobs", "2", "--quiet", env=env)
    runs = [p for p in (root / "reports" / "demo-estrie").iterdir() if not p.name.startswith(".")
            and p.is_dir()]
    manifest = json.loads((runs[0] / "manifest.json").read_text()) if runs else None
    return {"result": result, "runs": runs, "manifest": manifest, "env": env, "root": root}


def _record(run, key):
    return next(r for r in run["manifest"]["notebooks"] if r["key"] == key)


def test_trap_is_armed(broken_run):
    # Without the runner's restriction, jupyter_client would pick the user's kernelspec.
    code = ("from jupyter_client.kernelspec import KernelSpecManager as K; "
            "print(K().get_kernel_spec('evalkit').argv[0], K().get_kernel_spec('python3').argv[0])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **broken_run["env"]}, check=True)
    assert done.stdout.split() == [FAKE_PYTHON, FAKE_PYTHON]


def test_notebooks_ran_on_this_interpreter(broken_run):
    run = broken_run["runs"][0]
    nb = nbformat.read(run / "notebooks" / "hello.ipynb", as_version=4)
    printed = [o["text"].strip() for c in nb.cells for o in c.get("outputs", [])
               if o.get("name") == "stdout"]
    assert os.path.abspath(printed[0]) == os.path.abspath(sys.executable)
    assert nb.metadata.kernelspec.name == "evalkit"


def test_failures_do_not_stop_the_others_and_exit_1(broken_run):
    result, manifest = broken_run["result"], broken_run["manifest"]
    assert result.returncode == 1, result.stderr
    assert len(broken_run["runs"]) == 1
    assert manifest["status"] == "failed"
    statuses = {r["key"]: r["status"] for r in manifest["notebooks"]}
    assert statuses == {"hello": "ok", "site_profile.A": "ok", "site_profile.B": "ok",
                        "fail_exception": "failed", "fail_timeout": "failed",
                        "fail_kill": "failed", "fail_exit": "failed"}


@pytest.mark.parametrize(("key", "kind", "line", "message"), [
    ("fail_exception", "exception", 'raise ValueError("planted failure")',
     "ValueError: planted failure"),
    ("fail_timeout", "timeout", "time.sleep(120)", "within 4 s"),
    ("fail_kill", "dead_kernel", "os.kill(os.getpid(), signal.SIGKILL)", "kernel died"),
    ("fail_exit", "system_exit", "sys.exit(0)", "SystemExit: 0"),
])
def test_each_failure_names_its_cell(broken_run, key, kind, line, message):
    failure = _record(broken_run, key)["failure"]
    # cells: parameters (0), injected parameters (1), first code cell (2), failing cell (3)
    assert (failure["kind"], failure["cell_index"], failure["cell_first_line"]) == (kind, 3, line)
    assert message in failure["message"]
    summary = broken_run["result"].stdout
    assert f"{key}" in summary and f"cell 3: {line}" in summary


@pytest.mark.parametrize("name", BROKEN)
def test_executed_copy_keeps_the_error_in_place(broken_run, name):
    run = broken_run["runs"][0]
    nb = nbformat.read(run / "notebooks" / f"{name}.ipynb", as_version=4)
    failing = nb.cells[3]
    assert [o["output_type"] for o in failing.outputs if o["output_type"] == "error"] == ["error"]
    assert nb.cells[4].execution_count is None  # the cell after the failure did not run
    assert nb.cells[1].metadata.tags == ["injected-parameters"]
    assert not (run / "html" / f"{name}.fr.html").exists()


def test_summary_and_index(broken_run):
    result, run = broken_run["result"], broken_run["runs"][0]
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith(f"Run {run.name} of study demo-estrie: 7 notebook(s) executed, "
                               "3 succeeded; 4 notebook(s) of the run failed.")
    assert lines[-1] == f"Index: {run / 'index.html'}"
    assert f"--resume {run.name}" in result.stdout
    page = (run / "index.html").read_text()
    assert "<html lang='fr'>" in page and "Bonjour" in page
    assert "href='html/hello.fr.html'" in page and "href='notebooks/fail_kill.ipynb'" in page
    assert page.count("class='status-failed'") == 4 and page.count("class='status-ok'") == 3
    assert "cellule 3\u00a0: raise ValueError" in page


def test_html_pages_are_code_free_and_self_contained(broken_run):
    page = (broken_run["runs"][0] / "html" / "hello.fr.html").read_text()
    assert "HELLO-OUTPUT fr" in page and "Results / Résultats" in page
    assert "random.Random" not in page and "display(Image" not in page
    assert "study_file" not in page  # neither parameter cell is shown
    assert "data:image/png;base64,iVBOR" in page
    assert "<script src=" not in page and "cdnjs" not in page
    assert "<html lang='fr'>" in page and "<title>Bonjour – " in page


def test_manifest_records_inputs_parameters_and_versions(broken_run):
    import hashlib

    manifest, root = broken_run["manifest"], broken_run["root"]
    inputs = {r["path"]: r for r in manifest["inputs"]}
    for name in ("study.yaml", "survey_w1.csv", "survey_w2.sav", "population.csv"):
        digest = hashlib.sha256((root / "study" / name).read_bytes()).hexdigest()
        assert inputs[name]["sha256"] == digest
    assert inputs["survey_w1.csv"]["rows"] == 40  # 2 sites x 20 people at the first wave
    assert manifest["study_sha256"] == inputs["study.yaml"]["sha256"]
    assert manifest["parameters"] == {"confidence": 0.95, "bootstrap": 2000, "seed": 20261122,
                                      "ci": manifest["parameters"]["ci"]}
    assert manifest["versions"]["evalkit"] and manifest["versions"]["pandas"]
    assert manifest["options"]["timeout"] == 4 and manifest["options"]["jobs"] == 2
    assert manifest["disclosure_scan"]["status"] in ("not available", "passed", "failed")
    hello = _record(broken_run, "hello")
    assert hello["outputs"] == {"notebook": "notebooks/hello.ipynb",
                                "html": {"fr": "html/hello.fr.html"}}
    assert hello["attempts"] == 1 and hello["duration"] > 0
    assert "demo.key" not in json.dumps(manifest)


def _job(tmp_path: Path, name: str = "hello") -> Job:
    for folder in ("notebooks", "html", "tables", ".work"):
        (tmp_path / folder).mkdir(exist_ok=True)
    study = make_demo_study(tmp_path / "study", n_sites=2, n_per_site=20, formats="plain")
    parameters = {"study_file": str(study), "run_dir": "..", "lang": "en", "seed": 5,
                  "bootstrap": 3, "confidence": 0.9, "ci": True}
    return Job(key=name, notebook=name, source=str(NOTEBOOKS / f"{name}.ipynb"),
               lang="en", site=None, parameters=parameters, run_dir=str(tmp_path), timeout=30,
               languages=("en",), titles={"en": name})


def _flaky_kernel(monkeypatch, failures: int):
    import evalkit.run.execute as execute

    real = execute.kernel_manager_class()

    class FlakyStart(real):
        starts = 0

        async def start_kernel(self, **kwargs):
            type(self).starts += 1
            if type(self).starts <= failures:
                raise RuntimeError("planted kernel start failure")
            return await super().start_kernel(**kwargs)

    monkeypatch.setattr(execute, "kernel_manager_class", lambda: FlakyStart)
    return FlakyStart


def test_a_kernel_that_fails_to_start_is_tried_once_more(tmp_path, monkeypatch):
    flaky = _flaky_kernel(monkeypatch, failures=1)
    events = []
    result = run_job(_job(tmp_path), events.append)
    assert (result.status, result.attempts, flaky.starts) == ("ok", 2, 2)
    # 8 cells in the notebook, and the injected parameters
    assert events[0] == ("start", "hello", 9) and events[-1] == ("end", "hello", "ok")
    assert [e[2] for e in events if e[0] == "cell"] == list(range(9))
    assert (tmp_path / "tables" / "hello_en.csv").read_text().startswith("draw,value\n0,")


def test_a_kernel_that_never_starts_fails_the_notebook(tmp_path, monkeypatch):
    flaky = _flaky_kernel(monkeypatch, failures=5)
    result = run_job(_job(tmp_path), None)
    assert (result.status, result.attempts, flaky.starts) == ("failed", 2, 2)
    assert result.failure["kind"] == "kernel_start"
    assert "planted kernel start failure" in result.failure["message"]


def _executed(*cells):
    nb = nbformat.v4.new_notebook()
    for source, count, outputs, tags in cells:
        cell = nbformat.v4.new_code_cell(source, execution_count=count, outputs=outputs)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    return nb


def test_find_failure_rules():
    error = nbformat.v4.new_output("error", ename="KeyError", evalue="'x'", traceback=[])
    ok = _executed(("a = 1", 1, [], []), ("", None, [], []),
                   ("raise KeyError('x')", 2, [error], ["raises-exception"]),
                   ("slow()", None, [], ["skip-execution"]))
    assert find_failure(ok) is None
    not_run = _executed(("a = 1", 1, [], []), ("\n  b = 2  \n", None, [], []))
    assert find_failure(not_run) == {"kind": "not_executed", "cell_index": 1,
                                     "cell_first_line": "b = 2", "message": ""}
    failed = _executed(("a = 1", 1, [], []), ("d['x']", 2, [error], []))
    assert find_failure(failed)["kind"] == "exception"
    assert find_failure(failed)["message"] == "KeyError: 'x'"


def test_kernelspec_is_installed_or_refreshed_in_the_prefix(tmp_path):
    from evalkit.run.kernel import ensure_kernel

    folder = ensure_kernel(prefix=str(tmp_path))
    assert folder == tmp_path / "share" / "jupyter" / "kernels" / "evalkit"
    spec = json.loads((folder / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    spec["argv"][0] = FAKE_PYTHON  # an environment that moved, or a spec written by another
    (folder / "kernel.json").write_text(json.dumps(spec))
    ensure_kernel(prefix=str(tmp_path))
    assert json.loads((folder / "kernel.json").read_text())["argv"][0] == sys.executable


def test_installing_the_kernelspec_writes_ipykernels_spec_and_leaves_no_temporary_folder(
        tmp_path, monkeypatch):
    import tempfile

    from evalkit.run.kernel import install_kernel

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    for _ in range(2):  # installed, then refreshed in place
        install_kernel(prefix=str(tmp_path / "env"), quiet=True)
    assert list(scratch.iterdir()) == []
    folder = tmp_path / "env" / "share" / "jupyter" / "kernels" / "evalkit"
    spec = json.loads((folder / "kernel.json").read_text())
    assert spec["argv"] == [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher",
                            "-f", "{connection_file}"]
    assert spec["display_name"] == (f"Python 3 (evalkit, {sys.version_info.major}."
                                    f"{sys.version_info.minor})")
    assert spec["language"] == "python"
    assert (folder / "logo-64x64.png").is_file()


def test_the_executed_copy_is_written_at_the_start_and_the_end_not_around_every_cell(
        tmp_path, monkeypatch):
    import papermill.engines

    real, written = papermill.engines.write_ipynb, []

    def write(nb, path):
        written.append(sum(c.get("execution_count") is not None for c in nb.cells
                           if c.cell_type == "code"))
        real(nb, path)

    monkeypatch.setattr(papermill.engines, "write_ipynb", write)
    job = _job(tmp_path)
    result = run_job(job, None)
    assert result.status == "ok"
    # Papermill alone writes it before and after each of its 9 cells; here once at the
    # start (nothing run yet) and once at the end, every cell run (the notebook is quick).
    assert written[0] == 0 and written[-1] == result.cells and 2 <= len(written) <= 3
    executed = nbformat.read(tmp_path / job.ipynb, as_version=4)
    assert all(c.get("execution_count") for c in executed.cells
               if c.cell_type == "code" and c.source.strip())


def test_a_worker_whose_pages_cannot_be_warmed_up_still_starts(monkeypatch):
    # The warm-up only saves time: what breaks it breaks a job's pages, where it is reported.
    from evalkit.run import execute

    def broken():
        raise OSError("no template folder")

    monkeypatch.setattr(execute, "warm_pages", broken)
    execute.warm_up()
