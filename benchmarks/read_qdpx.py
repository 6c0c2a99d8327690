"""Time reading a REFI-QDA project of 5,000 coded segments (target: under 3 seconds).

Run from the repository root: ``python -m benchmarks.read_qdpx``. The project is generated with
the demo interview generator and written with ``write_qdpx``; the figure printed is the time of
``read_qdpx(path).segments()`` (best and median of a few runs).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from evalkit import read_qdpx, write_qdpx
from evalkit.datasets.interviews import make_demo_interviews

N_SEGMENTS = 5_000
TARGET_SECONDS = 3.0
REPEATS = 5


def build(folder: Path):
    sites = [f"Site {i:02d}" for i in range(1, 11)]
    documents, segments, _ = make_demo_interviews(sites=sites, seed=20261122, n_per_site=70)
    segments = segments.iloc[:N_SEGMENTS]
    documents = documents[documents["document"].isin(segments["document"])]
    path = folder / "bench.qdpx"
    started = time.perf_counter()
    write_qdpx(path, documents=documents, segments=segments)
    return path, len(documents), len(segments), time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path, n_docs, n_segments, write_time = build(Path(tmp))
        timings = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            frame = read_qdpx(path).segments()
            timings.append(time.perf_counter() - started)
        if len(frame) != n_segments:
            raise SystemExit(f"read {len(frame)} segments, expected {n_segments}")
        size = path.stat().st_size
    best, median = min(timings), statistics.median(timings)
    print(f"project: {n_segments} segments in {n_docs} documents, {size / 1024:.0f} KiB")
    print(f"write_qdpx: {write_time:.2f} s")
    print(f"read_qdpx + segments(): best {best:.2f} s, median {median:.2f} s "
          f"(target < {TARGET_SECONDS:.0f} s: {'met' if median < TARGET_SECONDS else 'MISSED'})")


if __name__ == "__main__":
    main()
