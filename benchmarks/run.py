"""Benchmark: the batch runner's overhead per notebook, and end-to-end runs.

1. Overhead. The same trivial notebooks, each importing numpy, pandas, matplotlib, seaborn,
   statsmodels and evalkit, are executed side by side (alternating, repeated) by plain papermill
   in this process, one kernel each, and by ``evalkit.run.run_study`` with one worker (parameter
   checks, kernel, executed copy, HTML page, index and manifest included). The ratio of seconds
   per notebook is printed (target: 1.3 or less).
2. Content. The real site-profile notebook (which loads the run's results, once computed, and
   draws its figures) against a trivial per-site notebook that only imports the same libraries,
   both through the runner on the demo study's 8 sites: the ratio of their mean seconds per
   notebook is printed (target: 1.3 or less; heavy work belongs to the run's compute stage).
3. End to end. ``evalkit demo`` and a generated 100-site study through ``evalkit run``, with
   ``--jobs 2`` and with ``--executor dask``, in subprocesses as a user would run them; wall
   seconds are printed.

Run from the repository root:  python -m benchmarks.run [--notebooks 6] [--repeats 2]
                                                         [--skip-end-to-end] [--per-site 150]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IMPORTS = "import numpy, pandas, matplotlib, seaborn, statsmodels.api, evalkit"
PARAMETERS = ('study_file = ""\nrun_dir = ".."\nlang = "fr"\nseed = 1\nbootstrap = 10\n'
              'confidence = 0.95\nci = False')


def write_trivial_notebooks(folder: Path, count: int) -> list[str]:
    """``count`` copies of the trivial notebook and the registry that lists them."""
    import nbformat

    folder.mkdir(parents=True, exist_ok=True)
    names = [f"trivial_{i}" for i in range(1, count + 1)]
    for name in names:
        book = nbformat.v4.new_notebook()
        book.metadata["kernelspec"] = {"name": "evalkit", "display_name": "evalkit",
                                       "language": "python"}
        cell = nbformat.v4.new_code_cell(PARAMETERS)
        cell.metadata["tags"] = ["parameters"]
        book.cells = [cell, nbformat.v4.new_code_cell(IMPORTS),
                      nbformat.v4.new_code_cell("print(lang, seed)")]
        nbformat.write(book, folder / f"{name}.ipynb")
    entries = "".join(f"  - name: {name}\n" for name in names)
    (folder / "notebooks.yaml").write_text(f"notebooks:\n{entries}", encoding="utf-8")
    return names


@contextlib.contextmanager
def kernel_messages_hidden():
    """Send this process's stderr (which plain kernels inherit) to /dev/null for a while."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def plain_papermill(folder: Path, names: list[str], out: Path) -> float:
    """Seconds to execute the notebooks one after the other with papermill's API."""
    import papermill

    out.mkdir(parents=True, exist_ok=True)
    parameters = {"study_file": "", "run_dir": "..", "lang": "fr", "seed": 1, "bootstrap": 10,
                  "confidence": 0.95, "ci": False}
    with kernel_messages_hidden():
        start = time.perf_counter()
        for name in names:
            papermill.execute_notebook(str(folder / f"{name}.ipynb"),
                                       str(out / f"{name}.ipynb"), parameters=parameters,
                                       kernel_name="evalkit", progress_bar=False, cwd=str(out))
        return time.perf_counter() - start


def with_runner(study: Path, folder: Path, out: Path) -> float:
    """Seconds for ``run_study`` on the same notebooks, one worker, one language."""
    from evalkit.run import run_study

    start = time.perf_counter()
    result = run_study(study, out=out, notebooks=folder, lang="fr", jobs=1, quiet=True,
                       stage_overrides={"validate": None})
    seconds = time.perf_counter() - start
    if result.status != "ok":
        raise SystemExit(f"the benchmark run failed: {result.summary()}")
    return seconds


def overhead(count: int, repeats: int) -> None:
    """Print seconds per notebook, plain and through the runner, and their ratio."""
    from evalkit.datasets import make_demo_study
    from evalkit.run.kernel import ensure_kernel

    ensure_kernel()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        names = write_trivial_notebooks(root / "notebooks", count)
        study = make_demo_study(root / "study", n_sites=2, n_per_site=20)
        plain_papermill(root / "notebooks", names[:1], root / "warm")  # imports, disk cache
        plain, runner = [], []
        for repeat in range(repeats):
            plain.append(plain_papermill(root / "notebooks", names, root / f"plain{repeat}"))
            runner.append(with_runner(study, root / "notebooks", root / f"runs{repeat}"))
    p, r = statistics.median(plain) / count, statistics.median(runner) / count
    print(f"overhead: {count} trivial notebooks ({IMPORTS}), median of {repeats}")
    print(f"  plain papermill, one kernel each   {p:6.2f} s per notebook")
    print(f"  evalkit run --jobs 1               {r:6.2f} s per notebook")
    print(f"  ratio                              {r / p:6.2f}x   (target <= 1.3x)")


def _durations(run_dir: Path, prefix: str) -> list[float]:
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return [r["duration"] for r in manifest["notebooks"] if r["key"].startswith(prefix)]


def content_overhead(repeats: int) -> None:
    """Print seconds per site notebook: the real site profile against a trivial one."""
    import shutil

    import nbformat

    from evalkit.run import run_study
    from evalkit.run.kernel import ensure_kernel

    ensure_kernel()
    project = Path(__file__).resolve().parents[1]
    demo = project / "data_samples" / "demo" / "study.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        trivial = root / "trivial"
        trivial.mkdir()
        book = nbformat.v4.new_notebook()
        book.metadata["kernelspec"] = {"name": "evalkit", "display_name": "evalkit",
                                       "language": "python"}
        cell = nbformat.v4.new_code_cell(
            'study_file = ""\nrun_dir = ".."\nlang = "fr"\nseed = 1\nbootstrap = 10\n'
            'confidence = 0.95\nci = False\nsite = None')
        cell.metadata["tags"] = ["parameters"]
        # The same libraries as the real notebook: evalkit's figures, notebook session,
        # display helpers, results and disclosure control.
        book.cells = [cell, nbformat.v4.new_code_cell(
            IMPORTS + "\nfrom evalkit import plots\nfrom evalkit.present.session import Session\n"
            "import evalkit.present.display, evalkit.analyse.results, evalkit.release.suppress")]
        nbformat.write(book, trivial / "site_profile.ipynb")
        (trivial / "notebooks.yaml").write_text(
            "notebooks:\n  - name: site_profile\n    per_site: true\n", encoding="utf-8")
        real = root / "real"
        real.mkdir()
        shutil.copy(project / "notebooks" / "site_profile.ipynb", real / "site_profile.ipynb")
        (real / "notebooks.yaml").write_text(
            "notebooks:\n  - name: site_profile\n    per_site: true\n", encoding="utf-8")
        plain, content = [], []
        for repeat in range(repeats):
            for folder, bucket in ((trivial, plain), (real, content)):
                run = run_study(demo, out=root / f"out-{folder.name}-{repeat}",
                                notebooks=folder, jobs=1, quiet=True)
                bucket += _durations(run.run_dir, "site_profile")
    p, c = statistics.mean(plain), statistics.mean(content)
    print(f"content: site profiles of the demo's 8 sites, both languages, {repeats} repeat(s)")
    print(f"  trivial notebook (imports only)    {p:6.2f} s per notebook")
    print(f"  real site_profile notebook         {c:6.2f} s per notebook")
    print(f"  ratio                              {c / p:6.2f}x   (target <= 1.3x)")


def _evalkit(*args: str) -> tuple[float, int, str]:
    env = {**os.environ, "EVALKIT_LANG": "en"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src") + os.pathsep + \
        env.get("PYTHONPATH", "")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "evalkit", *args], capture_output=True,
                          text=True, env=env, check=False)
    return time.perf_counter() - start, done.returncode, done.stdout + done.stderr


def _count(out: Path) -> int:
    manifests = sorted(out.rglob("manifest.json"))
    return len(json.loads(manifests[-1].read_text())["notebooks"]) if manifests else 0


def end_to_end(per_site: int) -> None:
    """Print wall seconds of the demo and of a 100-site study, local and dask executors."""
    from evalkit.datasets import make_demo_study

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        big = make_demo_study(root / "study100", n_sites=100, n_per_site=per_site,
                              formats="plain")
        cases = [("evalkit demo --jobs 2", ["demo", "--jobs", "2"]),
                 ("evalkit demo --executor dask", ["demo", "--executor", "dask"]),
                 (f"100 sites x {per_site} --jobs 2", ["run", str(big), "--jobs", "2"]),
                 (f"100 sites x {per_site} --executor dask",
                  ["run", str(big), "--executor", "dask", "--jobs", "2"])]
        print("end to end (wall seconds, subprocess):")
        for i, (label, args) in enumerate(cases):
            out = root / f"reports{i}"
            seconds, code, text = _evalkit(*args, "--out", str(out), "--quiet")
            print(f"  {label:<36} {seconds:8.1f} s  exit {code}  notebooks {_count(out)}")
            if code not in (0, 1):
                print("    " + text.strip().replace("\n", "\n    "))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", type=int, default=6, help="trivial notebooks (6)")
    parser.add_argument("--repeats", type=int, default=2, help="alternating repeats (2)")
    parser.add_argument("--per-site", type=int, default=150,
                        help="respondents per site of the 100-site study (150)")
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--skip-content", action="store_true")
    parser.add_argument("--skip-end-to-end", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_overhead:
        overhead(args.notebooks, args.repeats)
    if not args.skip_content:
        content_overhead(args.repeats)
    if not args.skip_end_to_end:
        end_to_end(args.per_site)


if __name__ == "__main__":
    main()
