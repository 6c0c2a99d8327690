"""Benchmark: what a report costs beyond its own work.

1. ``evalkit demo`` (every notebook, both languages, brief, release check) against one trivial
   notebook that imports the same libraries (numpy, pandas, matplotlib, seaborn, statsmodels,
   evalkit) executed by plain papermill on the project's kernel: wall and CPU seconds of whole
   processes (CPU of the process and everything it waited for), side by side in the same run,
   and their ratio (target: the demo within 3x the trivial notebook).
2. The marginal CPU cost of one more site profile: ``evalkit run --jobs 2`` of the demo study
   with ``--only site_profile`` for every site against 2 sites (both runs start the same 2
   workers and kernel templates), the difference of their medians over ``--repeats`` divided
   by the extra sites (target: 0.5 CPU s or less); the same against 1 site (one worker, as earlier versions of this benchmark
   measured it: the second worker's start is then counted to the sites).
   The same on a generated study of the demo's shape with ``--many`` sites (40 by default):
   the difference of the two runs is then spread over 38 sites, not 6, and a run's variation
   of a second or two of CPU weighs a sixth as much.

3. Where one site profile's CPU goes: the notebook's code cells run in a plain process that
   has imported what a warm kernel has (the kernel template's ``PRELOAD``), cell by cell, for
   two sites of the one-site run's results (the first pays what a forked kernel pays on its
   first figure, and draws the funnel's shared layer), the funnel figure split into building
   and drawing (PNG) whole, against drawing its site layer over the shared one, and the export
   of the executed notebook to its code-free pages.

Each side is run with warm kernels (the default) and, for comparison, with
``EVALKIT_WARM_KERNELS=0`` (a new interpreter per notebook).

Run from the repository root:  python -m benchmarks.speed [--repeats 1] [--cold] [--many 40]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data_samples" / "demo" / "study.yaml"
IMPORTS = "import numpy, pandas, matplotlib, seaborn, statsmodels.api, evalkit"
TRIVIAL = f'''
import sys, nbformat, papermill
book = nbformat.v4.new_notebook()
book.metadata["kernelspec"] = {{"name": "evalkit", "display_name": "evalkit",
                               "language": "python"}}
cell = nbformat.v4.new_code_cell('lang = "fr"')
cell.metadata["tags"] = ["parameters"]
book.cells = [cell, nbformat.v4.new_code_cell("{IMPORTS}"),
              nbformat.v4.new_code_cell("print(lang)")]
nbformat.write(book, sys.argv[1] + "/trivial.ipynb")
papermill.execute_notebook(sys.argv[1] + "/trivial.ipynb", sys.argv[1] + "/out.ipynb",
                           parameters={{"lang": "en"}}, kernel_name="evalkit",
                           progress_bar=False, cwd=sys.argv[1])
'''


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(argv: list[str], *, warm: bool = True) -> tuple[float, float, int, str]:
    """Wall and CPU seconds of a whole process (and what it waited for), its exit code and
    output."""
    env = {**os.environ, "EVALKIT_LANG": "en", "EVALKIT_WARM_KERNELS": "1" if warm else "0"}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return (time.perf_counter() - start, _children_cpu() - cpu, done.returncode,
            done.stdout + done.stderr)


def evalkit(*args: str, warm: bool = True) -> tuple[float, float]:
    wall, cpu, code, text = measure([sys.executable, "-m", "evalkit", *args, "--quiet"],
                                    warm=warm)
    if code != 0:
        raise SystemExit(f"evalkit {' '.join(args)} ended with {code}:\n{text}")
    return wall, cpu


def trivial(folder: Path) -> tuple[float, float]:
    folder.mkdir(parents=True, exist_ok=True)
    wall, cpu, code, text = measure([sys.executable, "-c", TRIVIAL, str(folder)])
    if code != 0:
        raise SystemExit(f"the trivial notebook failed:\n{text}")
    return wall, cpu


def _median(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def demo_against_trivial(root: Path, repeats: int, modes: list[bool]) -> None:
    trivial(root / "warm-up")  # disk caches, compiled bytecode
    base, runs = [], {mode: [] for mode in modes}
    for repeat in range(repeats):  # alternating, so that the machine's load hits both sides
        base.append(trivial(root / f"trivial{repeat}"))
        for mode in modes:
            runs[mode].append(evalkit("demo", "--out", str(root / f"demo{repeat}-{mode}"),
                                      warm=mode))
    b_wall, b_cpu = _median(base)
    print(f"demo against one trivial notebook ({IMPORTS}), median of {repeats}")
    print(f"  {'':<36} {'wall s':>8} {'CPU s':>8} {'x wall':>7} {'x CPU':>7}")
    print(f"  {'trivial notebook, plain papermill':<36} {b_wall:8.1f} {b_cpu:8.1f}")
    for mode in modes:
        wall, cpu = _median(runs[mode])
        label = "evalkit demo, warm kernels" if mode else "evalkit demo, a new kernel each"
        print(f"  {label:<36} {wall:8.1f} {cpu:8.1f} {wall / b_wall:7.2f} {cpu / b_cpu:7.2f}")
    print("  target: evalkit demo <= 3x the trivial notebook")


def _sites(out: Path) -> list[str]:
    """The sites whose profile a run wrote (from its manifest)."""
    manifest = json.loads(next(out.rglob("manifest.json")).read_text(encoding="utf-8"))
    return sorted(r["key"].split(".", 1)[1] for r in manifest["notebooks"]
                  if r["key"].startswith("site_profile."))


def _profiles(out: Path, warm: bool, sites: list[str] | None = None,
              study: Path = DEMO) -> tuple[float, float]:
    """``evalkit run --only site_profile --jobs 2`` of ``study`` (the demo), for ``sites``
    (default: all)."""
    chosen = ["--sites", ",".join(sites)] if sites else []
    return evalkit("run", str(study), "--only", "site_profile", "--jobs", "2", *chosen,
                   "--out", str(out), warm=warm)


def marginal_site(root: Path, modes: list[bool], repeats: int = 1) -> None:
    print("one more site profile: --only site_profile --jobs 2, every site of the demo against "
          f"its first 2 sites (the same 2 workers), median of {repeats}; and against its "
          "first site (1 worker)")
    for mode in modes:
        every, two = [], []
        for repeat in range(repeats):  # alternating, so that the machine's load hits both
            every.append(_profiles(root / f"every{repeat}-{mode}", mode))
            all_sites = _sites(root / f"every{repeat}-{mode}")
            two.append(_profiles(root / f"two{repeat}-{mode}", mode, all_sites[:2]))
        one = _profiles(root / f"one-{mode}", mode, all_sites[:1])
        (every_wall, every_cpu), (two_wall, two_cpu) = _median(every), _median(two)
        n = len(all_sites)
        label = "warm kernels" if mode else "a new kernel each"
        print(f"  {label}: {(every_cpu - two_cpu) / (n - 2):.2f} CPU s per site against 2 sites "
              f"(runs of {', '.join(f'{r[1]:.1f}' for r in every)} and "
              f"{', '.join(f'{r[1]:.1f}' for r in two)} CPU s), "
              f"{(every[-1][1] - one[1]) / (n - 1):.2f} against 1 "
              f"(wall {one[0]:.1f} s for 1, {two_wall:.1f} s for 2, {every_wall:.1f} s for {n})")
    print("  target: <= 0.5 CPU s per site profile (against 2 sites: a run starts its workers "
          "and kernel templates once, whatever its number of sites)")
    site_profile_parts(root / f"one-{modes[0]}")


def marginal_site_many(root: Path, n_sites: int, repeats: int = 1) -> None:
    """The same measure on a generated study of the demo's shape with ``n_sites`` sites: the
    difference of two runs spread over ``n_sites - 2`` sites, not 6 (a run's CPU seconds vary
    by a second or two here, a sixth of a site's cost on the demo)."""
    from evalkit.datasets import make_demo_study

    study = make_demo_study(root / f"study{n_sites}", n_sites=n_sites, formats="plain")
    every, two = [], []
    for repeat in range(repeats):  # alternating, so that the machine's load hits both
        every.append(_profiles(root / f"many{repeat}", True, study=study))
        sites = _sites(root / f"many{repeat}")
        two.append(_profiles(root / f"many-two{repeat}", True, sites[:2], study=study))
    (every_wall, every_cpu), (two_wall, two_cpu) = _median(every), _median(two)
    print(f"one more site profile on a generated study of the demo's shape with {n_sites} sites "
          f"(every site against its first 2, warm kernels, median of {repeats}): "
          f"{(every_cpu - two_cpu) / (n_sites - 2):.2f} CPU s and "
          f"{(every_wall - two_wall) / (n_sites - 2):.2f} s of wall time per site (runs of "
          f"{', '.join(f'{r[1]:.1f}' for r in every)} and "
          f"{', '.join(f'{r[1]:.1f}' for r in two)} CPU s)")
    print("  target: <= 0.5 CPU s per site profile")


PARTS = r'''
import contextlib, importlib, io, json, sys, time
from evalkit.run.warm import PRELOAD
for name in PRELOAD:
    with contextlib.suppress(Exception):
        importlib.import_module(name)
notebook, run_dir, study, executed = sys.argv[1:5]
sites = sys.argv[5:]
cells = [c for c in json.load(open(notebook, encoding="utf-8"))["cells"]
         if c["cell_type"] == "code" and "parameters" not in c["metadata"].get("tags", [])]
given = {}
for cell in json.load(open(executed, encoding="utf-8"))["cells"]:
    if "injected-parameters" in cell["metadata"].get("tags", []):
        exec("".join(cell["source"]), given)
rows = []
for site in sites:
    space = {**{k: v for k, v in given.items() if not k.startswith("__")},
             "study_file": study, "run_dir": run_dir, "site": site}
    for number, cell in enumerate(cells, 1):
        source = "".join(cell["source"])
        start = time.process_time()
        with contextlib.redirect_stdout(io.StringIO()):
            exec(source, space)
        rows.append((site, f"cell {number}: " + source.splitlines()[-1].strip()[:44],
                     time.process_time() - start))
from evalkit import plots
from evalkit.present.figures import figure_block
from evalkit.present.session import LAYERS_FOLDER
nb, site = space["nb"], sites[-1]
if not nb.from_run:
    sys.exit("the cells did not read the run's results (other analysis parameters)")
for lang in nb.languages:
    start = time.process_time()
    fig = plots.funnel_plot(nb.released("tokenism_funnel"),
                            overdispersion=nb.released("tokenism_overdispersion"),
                            indicator=nb.words("quant.tokenism.rate", lang),
                            label_sites="auto", highlight=site, lang=lang, non_validated=True)
    built = time.process_time()
    figure_block(fig, caption="", alt="", lang=lang)
    rows.append((site, f"funnel, {lang}: build", built - start))
    rows.append((site, f"funnel, {lang}: draw whole and PNG", time.process_time() - built))
    fig = plots.funnel_plot(nb.released("tokenism_funnel"),
                            overdispersion=nb.released("tokenism_overdispersion"),
                            indicator=nb.words("quant.tokenism.rate", lang),
                            label_sites="auto", highlight=site, lang=lang, non_validated=True)
    start = time.process_time()  # the shared layer was drawn by the cells above
    figure_block(fig, caption="", alt="", lang=lang,
                 layers=run_dir + "/.work/" + LAYERS_FOLDER)
    rows.append((site, f"funnel, {lang}: site layer over the shared one, PNG",
                 time.process_time() - start))
from evalkit.config.study import load_study
from evalkit.present.notebook_page import export_notebook_html
loaded = load_study(study)
for repeat in range(2):  # the first pays nbconvert's imports, once per worker
    for lang in nb.languages:
        start = time.process_time()
        export_notebook_html(executed, run_dir + f"/.page.{lang}.html", study=loaded,
                             lang=lang, run_date="2026-01-01")
        rows.append(("export" if repeat else "export (first)", f"code-free page, {lang}",
                     time.process_time() - start))
print(json.dumps(rows))
'''


def site_profile_parts(out: Path) -> None:
    """Where one site profile's CPU goes, from the run of one site profile in ``out``."""
    run_dir = next(out.rglob("manifest.json")).parent
    executed = next((run_dir / "notebooks").glob("site_profile.*.ipynb"))
    sites = json.loads((run_dir / ".work" / "results" / "results.json").read_text(
        encoding="utf-8")).get("meta", {}).get("sites") or []
    sites = [str(s) for s in sites][:2] or [executed.name.split(".")[1]]
    wall, cpu, code, text = measure([sys.executable, "-c", PARTS,
                                     str(ROOT / "notebooks" / "site_profile.ipynb"),
                                     str(run_dir), str(DEMO), str(executed), *sites])
    if code != 0:
        raise SystemExit(f"the site profile's cells failed:\n{text}")
    # the rows are the last line of standard output (libraries may warn on standard error)
    rows = json.loads(next(line for line in reversed(text.strip().splitlines())
                           if line.startswith("[")))
    print("where a site profile's CPU goes (cells in a process with the template's imports)")
    for who, part, seconds in rows:
        print(f"  {who:<16} {part:<54} {seconds:6.2f} CPU s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=1,
                        help="alternating repeats of each measure (1)")
    parser.add_argument("--cold", action="store_true",
                        help="also measure a new interpreter per notebook")
    parser.add_argument("--skip-sites", action="store_true")
    parser.add_argument("--many", type=int, default=40, metavar="N",
                        help="also measure one more site profile on a generated study of N "
                             "sites (40; 0: not)")
    parser.add_argument("--parts", metavar="RUN", type=Path,
                        help="only say where a site profile's CPU goes, from a finished run "
                             "of the demo (its folder, e.g. from --only site_profile)")
    args = parser.parse_args(argv)
    from evalkit.run.kernel import ensure_kernel

    ensure_kernel()
    modes = [True, False] if args.cold else [True]
    if args.parts is not None:
        site_profile_parts(args.parts)
        return
    with tempfile.TemporaryDirectory() as tmp:
        demo_against_trivial(Path(tmp), args.repeats, modes)
        if not args.skip_sites:
            marginal_site(Path(tmp), modes, args.repeats)
            if args.many > 2:
                marginal_site_many(Path(tmp), args.many, args.repeats)


if __name__ == "__main__":
    main()
