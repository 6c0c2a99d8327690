"""Selection offsets counted as the standard says (code points) or as tools count them.

Each test stores a source with emoji (outside the Basic Multilingual Plane), Windows line ends
and a byte-order mark, writes its selections under one convention, and reads the exact text
back. The offsets are computed here from the stored text itself (by encoding prefixes), not with
evalkit's conversion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_qual_refi import S1, keys, make_qdpx, qde, selection, text_source, warning

from evalkit import read_qdpx, write_qdpx
from evalkit.read.qda._text import Counting, to_counted_offsets, to_text_offsets

LINES = ["Q : Bonjour 😀, merci d'être là.",
         "R : On nous consulte 🙂 mais rien ne change 🎉🎉.",
         "Q : Et les intervenantes ?",
         "R : Elles sont très présentes, ça me réconforte 💪 à chaque visite."]
WANTED = [*LINES, "rien ne change", "Elles sont très présentes", "réconforte"]


def stored_text(newline: str = "\r\n") -> str:
    return newline.join(LINES) + newline


def counted(stored: str, wanted: str, *, unit: str, line_ends: str = "stored",
            bom: bool = False) -> tuple[int, int]:
    """Where ``wanted`` lies in ``stored``, counted as a tool would count it."""
    text = stored.replace("\r\n", "\n") if line_ends == "lf" else stored
    start = text.index(wanted)

    def count(prefix: str) -> int:
        n = len(prefix.encode("utf-16-le")) // 2 if unit == "utf16" else len(prefix)
        return n + bom

    return count(text[:start]), count(text[:start + len(wanted)])


def project(tmp_path, *, unit, line_ends="stored", bom=False, origin="crafted 1.0",
            names=False, newline="\r\n", wanted=WANTED, name="p.qdpx"):
    stored = stored_text(newline)
    sels = ""
    for i, piece in enumerate(wanted, start=1):
        start, end = counted(stored, piece, unit=unit, line_ends=line_ends, bom=bom)
        sels += selection(i, start, end, name=piece if names else "")
    data = ("\ufeff" if bom or newline == "\r\n" else "") + stored
    text = qde(text_source(f"internal://{S1}.txt", sels)).replace(
        'origin="crafted 1.0"', f'origin="{origin}"')
    return make_qdpx(tmp_path, text, {f"sources/{S1}.txt": data.encode("utf-8")}, name=name)


def texts(project) -> list[str]:
    return project.selections.sort_values("selection_id")["text"].tolist()


def test_code_points_as_the_standard_says(tmp_path):
    result = read_qdpx(project(tmp_path, unit="code_points", origin="ATLAS.ti 23.2"))
    assert texts(result) == WANTED
    assert result.sources["offsets"].tolist() == ["code_points"]
    assert result.provenance["offsets"] == {S1: "code_points"}
    assert "qual.warn.utf16_offsets" not in keys(result)


def test_nvivo_counts_utf16_code_units(tmp_path):
    result = read_qdpx(project(tmp_path, unit="utf16", origin="NVivo 12 (Windows)"))
    assert texts(result) == WANTED
    assert result.sources["offsets"].tolist() == ["utf16"]
    assert warning(result, "qual.warn.utf16_offsets").params["n"] == 1
    assert "qual.warn.offsets_tool" not in keys(result)


def test_nvivo_without_origin_is_recognised_by_its_attributes(tmp_path):
    path = project(tmp_path, unit="utf16", wanted=WANTED[4:])
    nvivo = path.parent / "nvivo.qdpx"
    import zipfile

    with zipfile.ZipFile(path) as source, zipfile.ZipFile(nvivo, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "project.qde":
                data = (data.replace(b' origin="crafted 1.0"', b' basePath=""')
                        .replace(b'name="codeur_A"', b'id="CA" name="codeur_A"'))
            target.writestr(info, data)
    # mid-line selections without names: no evidence, the tool's convention decides
    assert texts(read_qdpx(nvivo)) == WANTED[4:]
    assert texts(read_qdpx(path)) != WANTED[4:]


def test_line_starts_reveal_utf16_when_the_tool_is_not_nvivo(tmp_path):
    # an NVivo export re-written by another library: paragraph codings, empty names
    result = read_qdpx(project(tmp_path, unit="utf16", origin="otherlib 0.3", wanted=LINES))
    assert texts(result) == LINES
    found = warning(result, "qual.warn.offsets_tool")
    assert found.params["examples"] == "ENT-01 (utf16)"
    assert found.params["expected"] == "code_points"
    assert "otherlib 0.3" in found.render("fr")


def test_names_overrule_the_tool(tmp_path):
    # written in code points by a tool that calls itself NVivo: the names quote the text
    result = read_qdpx(project(tmp_path, unit="code_points", origin="NVivo 14", names=True))
    assert texts(result) == WANTED
    assert result.sources["offsets"].tolist() == ["code_points"]
    assert warning(result, "qual.warn.offsets_tool").params["expected"] == "utf16"


@pytest.mark.parametrize("unit", ["code_points", "utf16"])
def test_line_ends_counted_once(tmp_path, unit):
    result = read_qdpx(project(tmp_path, unit=unit, line_ends="lf", names=True,
                               origin="NVivo 12" if unit == "utf16" else "crafted 1.0"))
    assert texts(result) == WANTED
    assert result.sources["offsets"].tolist() == [f"{unit}+lf"]
    assert "qual.warn.crlf_kept" in keys(result)


@pytest.mark.parametrize("unit", ["code_points", "utf16"])
def test_a_counted_byte_order_mark(tmp_path, unit):
    result = read_qdpx(project(tmp_path, unit=unit, bom=True, names=True))
    assert texts(result) == WANTED
    assert result.sources["offsets"].tolist() == [f"{unit}+bom"]
    assert "qual.warn.bom_counted" in keys(result)


def test_unix_line_ends_without_a_byte_order_mark(tmp_path):
    result = read_qdpx(project(tmp_path, unit="utf16", newline="\n", origin="NVivo for Mac 15"))
    assert texts(result) == WANTED
    assert "qual.warn.crlf" not in keys(result)


def test_inline_text_counted_with_windows_line_ends(tmp_path):
    # XML turns \r\n into \n: a tool that counted \r\n leaves offsets two per line end
    stored = stored_text("\r\n")
    sels = "".join(selection(i, *counted(stored, piece, unit="code_points"), name=piece)
                   for i, piece in enumerate(WANTED, start=1))
    source = (f'<TextSource guid="{S1}" name="I"><PlainTextContent>{stored}'
              f'</PlainTextContent>{sels}</TextSource>')
    result = read_qdpx(make_qdpx(tmp_path, qde(source)))
    assert texts(result) == WANTED
    assert result.sources["offsets"].tolist() == ["code_points+crlf"]
    assert "qual.warn.crlf_counted" in keys(result)


def test_the_unit_can_be_given(tmp_path):
    path = project(tmp_path, unit="utf16", wanted=WANTED[4:])
    assert texts(read_qdpx(path)) != WANTED[4:]  # no evidence, a standard tool
    assert texts(read_qdpx(path, offsets="utf16")) == WANTED[4:]
    with pytest.raises(Exception, match="offsets must be one of"):
        read_qdpx(path, offsets="bytes")


def test_offsets_inside_a_character_count_against_a_convention(tmp_path):
    # codings of the emoji themselves, in code points: read as UTF-16, the first one would
    # end inside its character, which no UTF-16 count can do; the code points are kept
    wanted = ["😀", "🙂", "🎉", "💪", *WANTED[4:]]
    result = read_qdpx(project(tmp_path, unit="code_points", origin="NVivo 12", wanted=wanted))
    assert texts(result) == wanted
    assert "qual.warn.offsets_tool" in keys(result)
    # without that evidence, the tool's convention decides
    result = read_qdpx(project(tmp_path, unit="code_points", origin="NVivo 12",
                               wanted=WANTED[4:], name="q.qdpx"))
    assert texts(result) != WANTED[4:]


def test_conversions_agree_with_python_encodings():
    generator = np.random.default_rng(4)
    alphabet = list("ab \n") + ["é", "😀", "𝔸", "\u4e2d"]
    text = "".join(generator.choice(alphabet, size=400))
    wide = np.array([i for i, c in enumerate(text) if ord(c) > 0xFFFF], dtype=np.int64)
    positions = np.arange(len(text) + 1)
    units = to_counted_offsets(positions, wide)
    assert units.tolist() == [len(text[:i].encode("utf-16-le")) // 2 for i in positions]
    back, clean = to_text_offsets(units, wide)
    assert back.tolist() == positions.tolist() and clean.all()
    inside = units[:-1][np.isin(positions[:-1], wide)] + 1  # the second unit of a pair
    moved, clean = to_text_offsets(inside, wide)
    assert not clean.any() and moved.tolist() == positions[:-1][np.isin(positions[:-1], wide)
                                                                ].tolist()
    assert Counting("utf16", "lf", True).name == "utf16+lf+bom"


@pytest.mark.parametrize("offsets", ["code_points", "utf16"])
def test_writer_writes_either_convention_and_reads_back(tmp_path, offsets):
    text = "\n".join(LINES) + "\n"
    pieces = ["rien ne change 🎉", "réconforte 💪 à chaque", LINES[3]]
    docs = pd.DataFrame({"document": ["ENT-01"], "participant": ["P1"], "site": ["A"],
                         "group": ["user"], "language": ["fr"], "text": [text]})
    starts = [text.index(p) for p in pieces]
    segs = pd.DataFrame({"segment_id": [f"s{i}" for i in range(3)], "document": "ENT-01",
                         "participant": "P1", "site": "A", "group": "user",
                         "code": "x", "code_path": "T/x", "coder": "ana",
                         "start": starts, "end": [s + len(p) for s, p in zip(starts, pieces,
                                                                             strict=True)],
                         "text": pieces, "unit": pd.NA})
    path = write_qdpx(tmp_path / "w.qdpx", documents=docs, segments=segs, offsets=offsets)
    import zipfile

    with zipfile.ZipFile(path) as archive:
        qde_text = archive.read("project.qde").decode("utf-8")
    start = len(text[:starts[1]].encode("utf-16-le")) // 2 if offsets == "utf16" else starts[1]
    assert f'startPosition="{start}"' in qde_text
    result = read_qdpx(path)
    assert sorted(result.segments()["text"]) == sorted(pieces)
    assert result.sources["offsets"].tolist() == [offsets]
