"""``python stub_run.py ARGS``: the ``evalkit`` command line, with a small stand-in for the compute
stage, so that fault tests drive real runs (workers, kernels, signals) in seconds.

The stand-in writes one released table (recorded with its SHA-256, as the real stage records
its tables), one figure and the private working data; notebooks come from ``--notebooks``.
"""

from __future__ import annotations

import hashlib
import json
import sys


def prepare(ctx) -> dict:
    """A stand-in for the prepare stage: a released table, a figure and the working data."""
    from evalkit._files import write_bytes_atomic  # as the release writers write tables

    table = write_bytes_atomic(ctx.tables_dir / "counts.csv", b"site,n\nA,12\nB,15\n")
    (ctx.figures_dir / "stub.png").write_bytes(b"\x89PNG\r\n\x1a\nstub")
    (ctx.work_dir / "prepared.json").write_text(json.dumps({"n": 27}), encoding="utf-8")
    return {"status": "ok", "tables": [{
        "path": "tables/counts.csv", "sha256": hashlib.sha256(table.read_bytes()).hexdigest(),
        "counts": ["n"]}]}


def install() -> None:
    from evalkit.run.stages import stages

    stages.register("prepare", prepare)


if __name__ == "__main__":  # spawned workers import this file too: only the parent runs
    install()
    from evalkit.cli import main

    sys.exit(main(sys.argv[1:]))
