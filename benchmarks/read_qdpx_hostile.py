"""Memory and time of reading hostile REFI-QDA files: ``python -m benchmarks.read_qdpx_hostile``.

Each file is read by ``read_qdpx`` (``read_qdc`` for a codebook) in a fresh process, whose peak
resident memory and wall time are reported with the outcome (read, or the error evalkit gave).
``--src DIR`` reads with another copy of evalkit's sources (for a before/after comparison).
The files:

- ``members``: 1,500 members of exactly 1 MiB of zeros, each named as a source (1.8 MB);
- ``bomb``: one member of 1 GiB of zeros (about 1 MB);
- ``understated``: a member whose headers declare 1 KiB and that holds 64 MiB;
- ``deep``: codes nested 1,000 deep (read) and 10,000 deep, in a project and in a codebook;
- ``positions``: 30,000 selections, a third with offsets of 10**30, a third reversed;
- ``overlaps``: a 1 MiB text coded 400 times over its whole length;
- ``elements``: nearly the largest project the reader accepts (990,000 elements: 330,000
  selections, each with its coding).

Peak memory is the child's ``VmHWM`` (the resident high-water mark of its own memory, which a
process started from a large one does not inherit, unlike ``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

NS = "urn:QDA-XML:project:1.0"
USER = "11111111-1111-4111-8111-111111111111"
CODE = "aaaaaaaa-0000-4000-8000-000000000001"


def _guid(kind: int, i: int) -> str:
    return f"{kind:08x}-0000-4000-8000-{i:012x}"


def _project(sources: str = "", codes: str = "") -> str:
    codes = codes or f'<Code guid="{CODE}" name="c" isCodable="true"/>'
    return (f'<?xml version="1.0" encoding="UTF-8"?><Project xmlns="{NS}" name="h" '
            f'origin="bench"><Users><User guid="{USER}" name="u"/></Users><CodeBook><Codes>'
            f'{codes}</Codes></CodeBook><Sources>{sources}</Sources></Project>')


def _selection(i: int, start: int, end: int) -> str:
    return (f'<PlainTextSelection guid="{_guid(13, i)}" startPosition="{start}" '
            f'endPosition="{end}"><Coding guid="{_guid(14, i)}" creatingUser="{USER}">'
            f'<CodeRef targetGUID="{CODE}"/></Coding></PlainTextSelection>')


def _source(i: int, selections: str = "") -> str:
    return (f'<TextSource guid="{_guid(11, i)}" name="E{i}" '
            f'plainTextPath="internal://{_guid(11, i)}.txt">{selections}</TextSource>')


def _write(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _nested(depth: int) -> str:
    return ("".join(f'<Code guid="{_guid(10, i)}" name="code {i}" isCodable="true">'
                    for i in range(depth)) + "</Code>" * depth)


def build(folder: Path) -> dict[str, Path]:
    files = {}
    zeros = bytes(1024**2)
    files["members"] = _write(folder / "members.qdpx", {
        "project.qde": _project("".join(_source(i) for i in range(1500))),
        **{f"sources/{_guid(11, i)}.txt": zeros for i in range(1500)}})
    with zipfile.ZipFile(folder / "bomb.qdpx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", _project(_source(0)))
        with archive.open(f"sources/{_guid(11, 0)}.txt", "w", force_zip64=True) as stream:
            for _ in range(1024):
                stream.write(zeros)
    files["bomb"] = folder / "bomb.qdpx"
    files["understated"] = _understated(folder / "understated.qdpx")
    files["deep 1,000"] = _write(folder / "deep1k.qdpx",
                                 {"project.qde": _project(codes=_nested(1_000))})
    files["deep"] = _write(folder / "deep.qdpx", {"project.qde": _project(codes=_nested(10_000))})
    (folder / "deep.qdc").write_text(f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
                                     f'{_nested(10_000)}</Codes></CodeBook>', encoding="utf-8")
    files["deep (codebook)"] = folder / "deep.qdc"
    text = "Une ligne de transcription.\n" * 100
    bounds = [(10**30, 10**30 + 5), (50, 10), (10, 50)]
    sels = "".join(_selection(i, *bounds[i % 3]) for i in range(30_000))
    files["positions"] = _write(folder / "positions.qdpx", {
        "project.qde": _project(_source(0, sels)), f"sources/{_guid(11, 0)}.txt": text})
    generator = random.Random(7)  # text that compresses as transcripts do (about 3 times)
    words = "on nous consulte mais rien ne change les intervenantes sont présentes".split()
    big = " ".join(generator.choice(words) + str(generator.randrange(10**6))
                   for _ in range(110_000))
    files["overlaps"] = _write(folder / "overlaps.qdpx", {
        "project.qde": _project(_source(0, "".join(_selection(i, 0, len(big))
                                                   for i in range(400)))),
        f"sources/{_guid(11, 0)}.txt": big})
    files["elements"] = _elements(folder / "elements.qdpx", 330_000)
    return files


def _elements(path: Path, n: int) -> Path:
    lines = [f"Tour {i} : on nous consulte.\n" for i in range(n)]
    offsets, position = [], 0
    for line in lines:
        offsets.append((position, position + len(line) - 1))
        position += len(line)
    sels = "".join(_selection(i, s, e) for i, (s, e) in enumerate(offsets))
    return _write(path, {"project.qde": _project(_source(0, sels)),
                         f"sources/{_guid(11, 0)}.txt": "".join(lines)})


def _understated(path: Path) -> Path:
    _write(path, {"project.qde": _project(_source(0)),
                  f"sources/{_guid(11, 0)}.txt": b"x" * (64 * 1024**2)})
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:  # the central directory's uncompressed size of the source: 1 KiB
        length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + length].endswith(b".txt"):
            data[at + 24:at + 28] = (1024).to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path


_CHILD = """
import sys, time
from pathlib import Path
path = Path(sys.argv[1])
started = time.perf_counter()
try:
    from evalkit import read_qdc, read_qdpx
    if path.suffix == ".qdc":
        result = read_qdc(path)
        outcome = f"read: {len(result.codes)} codes"
    else:
        result = read_qdpx(path)
        outcome = f"read: {len(result.codes)} codes, {len(result.selections)} selections"
except Exception as error:
    outcome = f"{type(error).__name__}: {str(error).splitlines()[0][-110:]}"
seconds = time.perf_counter() - started
status = Path("/proc/self/status").read_text()
peak = int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1]) / 1024
print(f"{seconds:.2f}\\t{peak:.0f}\\t{outcome}")
"""


def measure(path: Path, src: str | None, timeout: float) -> tuple[float, float, str]:
    """Wall time (s), peak resident memory (MiB) and outcome of reading ``path`` in a child."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], env=env, text=True,
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - started, float("nan"), f"stopped after {timeout:.0f} s"
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return (time.perf_counter() - started, float("nan"),
                f"process ended with {done.returncode}: {tail[-100:]}")
    seconds, peak, outcome = lines[-1].split("\t", 2)
    return float(seconds), float(peak), outcome


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", help="read with the evalkit sources in this folder")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--only", nargs="*", help="names of the files to read")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        files = build(Path(tmp))
        print(f"built {len(files)} files in {time.perf_counter() - started:.1f} s")
        print(f"{'file':<16} {'size':>9} {'time':>8} {'peak RSS':>10}  outcome")
        for name, path in files.items():
            if args.only and name not in args.only:
                continue
            seconds, peak, outcome = measure(path, args.src, args.timeout)
            size = path.stat().st_size / 1024**2
            print(f"{name:<16} {size:7.2f} MB {seconds:6.2f} s {peak:8.0f} MiB  {outcome}",
                  flush=True)


if __name__ == "__main__":
    main()
