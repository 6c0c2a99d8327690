"""Fuzzing the REFI-QDA reader: mutated XML, hostile attributes, damaged and hostile archives.

Whatever the file, reading it either succeeds or raises evalkit's own error (``EvalkitError``),
and the memory one read allocates stays under a bound. In the test suite each target runs a
short seeded slice of examples; ``make fuzz`` sets ``EVALKIT_FUZZ_SECONDS`` and each target then
draws fresh examples for that many seconds.
"""

from __future__ import annotations

import io
import tempfile
import tracemalloc
import warnings
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from fuzzing import fuzz
from hypothesis import strategies as st
from test_qual_refi import (
    C_A,
    C_B,
    CODEBOOK,
    S1,
    S2,
    U1,
    U2,
    _cases_project,
    docx_bytes,
    qde,
    selection,
    text_source,
)

from evalkit import EvalkitError, read_qdc, read_qdpx
from evalkit.read.qda import _safe as safe

pytestmark = pytest.mark.fuzz

#: Examples per target in the seeded slice that runs with the test suite.
SLICE_EXAMPLES = 25
#: Memory one read may allocate: this much, plus MEMORY_PER_BYTE times the bytes it may unpack
#: (the reader's documented bound: the XML tree and the frames built from it grow with it).
MEMORY_BASE = 96 * 1024**2
MEMORY_PER_BYTE = 32
#: Largest project.qde the structural mutations produce (repeated copies grow fast).
MAX_TREE_BYTES = 4 * 1024**2

_TEXT = ("Q : Bonjour 😀.\r\nR : On nous consulte 🙂 mais rien ne change.\r\n"
         "Q : Et les intervenantes ?\r\nR : Très présentes, ça me réconforte.\r\n")


def _seed_members() -> dict[str, bytes]:
    sels = (selection(1, 0, 12, name="Q : Bonjour") + selection(2, 18, 40, code=C_B, user=U2)
            + selection(3, 45, 60))
    sources = (text_source(f"internal://{S1}.txt", sels)
               + text_source(f"relative://{S2}.txt", selection(4, 3, 9), guid=S2, name="B",
                             rich=f"internal://{S2}.docx"))
    return {"project.qde": qde(sources).encode("utf-8"),
            f"sources/{S1}.txt": b"\xef\xbb\xbf" + _TEXT.encode("utf-8"),
            f"sources/{S2}.docx": docx_bytes(["Un paragraphe 🙂", "Deux"])}


SEED = _seed_members()
with tempfile.TemporaryDirectory() as _tmp:
    CASES_SEED = _cases_project(Path(_tmp)).read_bytes()

_TOKENS = [b"<", b">", b'"', b"/>", b"</Code>", b'<Code guid="x" name="y" isCodable="true">',
           b'<PlainTextSelection startPosition="5" endPosition="2"/>', b"&amp;", b"&#0;",
           b"<!DOCTYPE p>", b"<![CDATA[<<<]]>", b"\x00", "😀".encode(), b"\xff\xfe",
           b"1" * 40, b"-1", b"internal://../../x", b"relative://.ssh/id_rsa", b"\r\n"]
_ATTRIBUTES = ["guid", "targetGUID", "startPosition", "endPosition", "name", "plainTextPath",
               "richTextPath", "creatingUser", "isCodable", "color", "origin", "basePath", "path"]
_VALUES = st.one_of(
    st.integers(-(10**40), 10**40).map(str),
    st.integers(-5, 300).map(str),
    st.text(max_size=40),
    st.sampled_from(["", " ", "NaN", "1e9", "0x10", "١٢", "{" + C_A.upper() + "}", C_B, S1, U1,
                     "internal://", "internal://../../etc/passwd", "relative://../secret",
                     "relative://.hidden/k.txt", "absolute:///etc/shadow", "C:\\x.txt",
                     "internal://" + S1 + ".docx", "\u202e", "true", "false", "#12345G"]),
)


def _zip(members: dict[str, bytes], methods: dict[str, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # repeated names are part of what is fuzzed
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in members.items():
                method = (methods or {}).get(name, zipfile.ZIP_DEFLATED)
                archive.writestr(zipfile.ZipInfo(name.split("\x1f")[0]), data,
                                 compress_type=method)
    return buffer.getvalue()


# --------------------------------------------------------------------------- strategies


@st.composite
def mutated_bytes(draw, data: bytes) -> bytes:
    """``data`` after a few byte-level edits: flips, inserted XML tokens, cuts, repeats."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "repeat"]))
        at = draw(st.integers(0, max(len(out) - 1, 0)))
        if kind == "flip" and out:
            out[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            out[at:at] = draw(st.sampled_from(_TOKENS)) * draw(st.integers(1, 50))
        elif kind == "delete":
            del out[at:at + draw(st.integers(1, 64))]
        else:
            piece = bytes(out[at:at + draw(st.integers(1, 400))])
            out[at:at] = piece * draw(st.integers(1, 20))
    return bytes(out)


@st.composite
def mutated_tree(draw, data: bytes) -> bytes:
    """The XML with attributes set to hostile values and elements moved, repeated, nested."""
    root = ET.fromstring(data)
    deep = []
    for _ in range(draw(st.integers(1, 8))):
        elements = list(root.iter())
        parents = {child: parent for parent in elements for child in parent}
        element = elements[draw(st.integers(0, len(elements) - 1))]
        kind = draw(st.sampled_from(["set", "drop_attr", "remove", "copy", "nest", "deep"]))
        parent = parents.get(element)
        if kind == "set":
            element.set(draw(st.sampled_from(_ATTRIBUTES)), draw(_VALUES))
        elif kind == "drop_attr" and element.attrib:
            del element.attrib[draw(st.sampled_from(sorted(element.attrib)))]
        elif kind == "remove" and parent is not None:
            parent.remove(element)
        elif kind == "copy" and parent is not None:
            for _ in range(draw(st.integers(1, 30))):
                parent.append(element)  # the same element many times over
        elif kind == "nest" and parent is not None:
            host = elements[draw(st.integers(0, len(elements) - 1))]
            if host not in list(element.iter()):
                parent.remove(element)
                host.append(element)
        elif kind == "deep":
            # a chain of elements thousands deep, spliced in as text (ElementTree's writer
            # recurses, the reader must not)
            ET.SubElement(element, "DEEP", {"at": str(len(deep))})
            deep.append((element.tag, draw(st.integers(100, 5000))))
    text = ET.tostring(root)
    for i, (tag, depth) in enumerate(deep):
        name = tag.encode()
        chain = b"".join(b'<%s guid="%08x-0000-4000-8000-000000000000" name="n" isCodable="1">'
                         % (name, level) for level in range(depth)) + b"</%s>" % name * depth
        text = text.replace(b'<DEEP at="%d" />' % i, chain)
    return text[:MAX_TREE_BYTES]


@st.composite
def hostile_archives(draw) -> bytes:
    """Archives with odd members (names, methods, sizes, repeats), then damaged bytes."""
    members = dict(SEED) if draw(st.booleans()) else {}
    methods = {}
    for i in range(draw(st.integers(0, 6))):
        name = draw(st.sampled_from([
            "project.qde", "Project.QDE", "sub/project.qde", f"sources/{S1}.txt",
            f"Sources/{S1}.TXT", "sources/.root", "sources/", "../evil.txt", "/abs.txt",
            "C:/evil.txt", "a\\..\\..\\b.txt", "nul\x00.txt", "é😀.txt", f"sources/{S2}.txt"]))
        size = draw(st.sampled_from([0, 1, 100, 1024**2, 1024**2 + 1, 4 * 1024**2]))
        data = draw(st.sampled_from([b"\0", b" ", b"x", "é".encode()])) * size
        if name == "project.qde" and draw(st.booleans()):
            data = SEED["project.qde"]
        key = f"{name}\x1f{i}"  # repeated names stay repeated in the archive
        members[key] = data
        methods[key] = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED,
                                             zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]))
    raw = bytearray(_zip(members, methods))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, max(len(raw) - 4, 0)))
        if draw(st.booleans()):
            raw[at:at + 4] = draw(st.integers(0, 2**32 - 1)).to_bytes(4, "little")
        else:
            raw[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        raw = raw[:draw(st.integers(0, len(raw)))]
    return bytes(raw)


# --------------------------------------------------------------------------- running


def _unpacked(data: bytes) -> int:
    """The most bytes the reader may unpack from ``data``: what the archive declares, within the
    budget of :mod:`evalkit.read.qda._safe` (the whole file for a codebook)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except Exception:  # not a readable archive: nothing is unpacked
        return len(data)
    return min(declared, max(safe.RATIO_FLOOR_BYTES, safe.MAX_RATIO * len(data)))


def _read(data: bytes, suffix: str) -> None:
    """Read ``data`` as a file; only evalkit's errors may escape, memory stays bounded."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzzed{suffix}"
        path.write_bytes(data)
        (Path(folder) / f"{S2}.txt").write_text("à côté", encoding="utf-8")
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        try:
            if suffix == ".qdc":
                read_qdc(path)
            else:
                project = read_qdpx(path, external_sources=folder)
                project.documents()
                project.segments(units="lines")
        except EvalkitError:
            pass
        _, peak = tracemalloc.get_traced_memory()
        limit = MEMORY_BASE + MEMORY_PER_BYTE * _unpacked(data)
        assert peak - before < limit, (f"{(peak - before) / 1024**2:.0f} MiB for "
                                       f"{_unpacked(data) / 1024**2:.1f} MiB unpacked")
        assert path.read_bytes() == data  # the input is never changed


def _fuzz(strategy, suffix: str, *, slice_seed: int) -> None:
    """The seeded slice, or fresh examples for ``EVALKIT_FUZZ_SECONDS`` seconds."""
    tracemalloc.start()
    try:
        fuzz(strategy, lambda data: _read(data, suffix), slice_examples=SLICE_EXAMPLES,
             round_examples=20, round_seed=slice_seed)
    finally:
        tracemalloc.stop()


def test_fuzz_project_xml_bytes():
    _fuzz(st.one_of(
        mutated_bytes(SEED["project.qde"]).map(lambda q: _zip({**SEED, "project.qde": q})),
        mutated_bytes(CASES_SEED)), ".qdpx", slice_seed=1)


def test_fuzz_project_attributes_and_structure():
    _fuzz(mutated_tree(SEED["project.qde"]).map(lambda q: _zip({**SEED, "project.qde": q})),
          ".qdpx", slice_seed=2)


def test_fuzz_archives():
    _fuzz(hostile_archives(), ".qdpx", slice_seed=3)


def test_fuzz_codebooks():
    _fuzz(st.one_of(mutated_bytes(CODEBOOK.encode("utf-8")),
                    mutated_tree(CODEBOOK.encode("utf-8"))), ".qdc", slice_seed=4)
