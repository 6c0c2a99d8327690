"""Benchmark: a generated study of 50, 100 and 200 sites × 1,000 respondents × 2 waves, with coded
interviews, end to end (validation, compute, every notebook and site profile, brief, release
check) through ``evalkit run --jobs 2`` and through a Dask ``LocalCluster``, as a user runs it.

Prints, for each size and executor, the wall and CPU seconds of the whole run (the study's
generation is not counted), seconds per site, the growth from the previous size, the Dask run
against the local one, and the peak memory (resident set high-water mark) of each kind of
process: the run itself, its workers, the kernel templates and the notebook kernels (Dask's
worker processes count as workers). Targets: 200 sites in 150 s or less with ``--jobs 2``, Dask
within 1.2x of that, linear growth.

Run from the repository root:  python -m benchmarks.scale [--sites 50,100,200] [--per-site 1000]
                                                          [--executors local,dask]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _kind(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if "ipykernel" in command or "ipykernel_launcher" in command:
        return "kernel"
    if "evalkit.run.warm" in command:
        return "kernel template"
    if "multiprocessing" in command or "distributed" in command or "dask" in command:
        return "worker"
    return "other"


def _peak_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found += [int(p) for p in text]
    except OSError:
        pass
    return found


class MemoryWatch:
    """Samples the process tree of a run twice a second: the peak RSS of each kind of
    process (a forked kernel is named by the command line of its template, so kernels are
    told apart as the processes below a template)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peaks, self.counts = pid, {}, {}
        self._seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _walk(self) -> None:
        todo = [(self.pid, "run")]
        while todo:
            pid, kind = todo.pop()
            peak = _peak_mb(pid)
            self.peaks[kind] = max(self.peaks.get(kind, 0.0), peak)
            if pid not in self._seen:
                self._seen.add(pid)
                self.counts[kind] = self.counts.get(kind, 0) + 1
            for child in _children(pid):
                child_kind = "kernel" if kind == "kernel template" else _kind(child)
                todo.append((child, child_kind))

    def _watch(self) -> None:
        while not self._stop.is_set():
            self._walk()
            self._stop.wait(0.5)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run(study: Path, out: Path, executor: str) -> dict:
    env = {**os.environ, "EVALKIT_LANG": "en"}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    args = [sys.executable, "-m", "evalkit", "run", str(study), "--out", str(out), "--jobs", "2",
            "--executor", executor, "--quiet"]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    watch = MemoryWatch(process.pid)
    output, _ = process.communicate()
    wall = time.perf_counter() - start
    watch.stop()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    manifests = sorted(out.rglob("manifest.json"))
    manifest = json.loads(manifests[-1].read_text()) if manifests else {"notebooks": []}
    failed = [r["key"] for r in manifest["notebooks"] if r.get("status") != "ok"]
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime - cpu,
            "exit": process.returncode, "notebooks": len(manifest["notebooks"]),
            "failed": failed, "peaks": watch.peaks, "counts": watch.counts,
            "output": output if process.returncode else ""}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", default="50,100,200")
    parser.add_argument("--per-site", type=int, default=1000)
    parser.add_argument("--executors", default="local,dask")
    args = parser.parse_args(argv)
    from evalkit.datasets import make_demo_study

    sizes = [int(s) for s in args.sites.split(",")]
    executors = args.executors.split(",")
    print(f"end to end: sites x {args.per_site} respondents x 2 waves, coded interviews, "
          f"--jobs 2 (wall and CPU seconds of the whole run; peak RSS per process, MB)")
    print(f"  {'sites':>5} {'executor':<8} {'wall s':>8} {'CPU s':>8} {'s/site':>7} "
          f"{'growth':>7} {'notebooks':>9}  peak MB: run / worker / template / kernel")
    previous: dict[str, tuple[int, float]] = {}
    local_wall: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            study = make_demo_study(Path(tmp) / f"study{n}", n_sites=n,
                                    n_per_site=args.per_site, formats="plain")
            for executor in executors:
                found = run(study, Path(tmp) / f"reports-{n}-{executor}", executor)
                growth = ""
                if executor in previous:
                    m, wall = previous[executor]
                    growth = f"{(found['wall'] / wall) / (n / m):6.2f}x"
                previous[executor] = (n, found["wall"])
                peaks = found["peaks"]
                memory = " / ".join(f"{peaks.get(k, 0):.0f}" for k in
                                    ("run", "worker", "kernel template", "kernel"))
                print(f"  {n:>5} {executor:<8} {found['wall']:8.1f} {found['cpu']:8.1f} "
                      f"{found['wall'] / n:7.2f} {growth:>7} {found['notebooks']:>9}  {memory}"
                      f"  (exit {found['exit']}, {len(found['failed'])} failed)", flush=True)
                if found["output"]:
                    print("    " + found["output"].strip()[-2000:].replace("\n", "\n    "))
                if executor == "local":
                    local_wall[n] = found["wall"]
                elif n in local_wall:
                    print(f"        dask / local: {found['wall'] / local_wall[n]:.2f}x "
                          f"(target <= 1.2x)")
            import shutil

            shutil.rmtree(Path(tmp) / f"study{n}", ignore_errors=True)
    print("  growth: wall per site against the previous size (1.00x: linear); "
          "target: 200 sites <= 150 s with --jobs 2")


if __name__ == "__main__":
    main()
