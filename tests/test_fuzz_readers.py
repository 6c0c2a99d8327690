"""Fuzzing the readers users feed by hand: CSV exports, study.yaml, the codebook, SPSS files.

Whatever the bytes, a reader either reads them or raises one of evalkit's own errors (which the
command line prints with what to do); any other exception is a failure. ``make fuzz`` runs each
target for ``EVALKIT_FUZZ_SECONDS``; an ordinary test run takes a short seeded slice.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from fuzzing import fuzz
from hypothesis import strategies as st
from robustness import base_study

from evalkit.config.codebook import load_codebook
from evalkit.config.study import load_study
from evalkit.errors import EvalkitError
from evalkit.read import read_source

pytestmark = pytest.mark.fuzz

# -- strategies --------------------------------------------------------------------------------

CSV_PIECES = ["a", "é", "Ç", "œ", "’", "«", " ", "0", "12,5", "3.25", "1 234", "-", "NA", ";", ",",
              "\t", "|", '"', '""', "\n", "\r\n", "\r", "\x00", "\ufeff", "sep=;\n", "=", "\\"]
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le", "mac-roman"]

YAML_PIECES = ["&a ", "*a", "*b", "<<: *a", ": ", ":", "- ", "[", "]", "{", "}", "\t", "\n", "  ",
               "'", '"', "!!python/object/apply:os.system ['true']", "!!binary", "%YAML 1.1\n",
               "---\n", "...\n", "? ", "|\n", ">\n", "#", "\x00", "\x85", "\ufeff", "1e999",
               "0x1F", "0o17", "~", "null", "yes", "é", "2024-13-45", ".inf", "-.nan", "!!set",
               "&a [*a]", "{a: 1, a: 2}", "1:30", "\\u0000"]


@st.composite
def delimited(draw) -> bytes:
    """A CSV-like text: lines of pieces, in some encoding, maybe cut off anywhere."""
    rows = draw(st.lists(st.lists(st.sampled_from(CSV_PIECES), max_size=12).map("".join),
                         min_size=0, max_size=12))
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(rows)
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    cut = draw(st.integers(0, len(data)))
    return data[:cut] if draw(st.booleans()) else data


@st.composite
def mutated(draw, original: str, pieces: list[str]) -> str:
    """``original`` after a few random edits: pieces inserted, spans deleted, lines repeated
    or swapped."""
    text = original
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "delete", "repeat", "swap", "replace"]))
        at = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(pieces)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif kind == "replace":
            text = text[:at] + draw(st.text(max_size=8)) + text[at + draw(st.integers(0, 8)):]
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if kind == "repeat":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


def sav_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t1.sav"
        base_study.write_sav(path)
        return path.read_bytes()


SAV = sav_bytes()


@st.composite
def damaged_sav(draw) -> bytes:
    """The base study's SPSS file with bytes changed, removed or added, or cut off."""
    data = bytearray(SAV)
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "zero"]))
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[at:at + 4] = b"\xff\xff\xff\x7f"  # a huge count where a length is read
        if not data:
            break
    return bytes(data[:draw(st.integers(0, len(data)))]) if draw(st.booleans()) else bytes(data)


# -- checks ------------------------------------------------------------------------------------

def read_file(data: bytes, name: str, **options) -> None:
    """Read ``data`` saved as ``name``: a result with one line per row, or evalkit's error."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            source = read_source(path, **options)
        except EvalkitError as error:
            assert error.render("fr") and error.render("en")
            return
        assert len(source.lines) == len(source.data)
        assert np.all(np.diff(np.asarray(source.lines)) > 0) or len(source.lines) < 2
        assert path.read_bytes() == data  # the input is never written


def load(text: str, name: str, loader) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            loader(path)
        except EvalkitError as error:
            assert error.exit_code == 2 and error.render("fr")


# -- targets -----------------------------------------------------------------------------------

def test_csv_reader_on_any_bytes():
    fuzz(st.binary(max_size=3000), lambda data: read_file(data, "survey.csv"))


def test_csv_reader_on_delimited_text():
    fuzz(delimited(), lambda data: read_file(data, "survey.csv"))


def test_study_yaml():
    fuzz(mutated(base_study.STUDY_YAML, YAML_PIECES),
         lambda text: load(text, "study.yaml", load_study))


def test_codebook_yaml():
    fuzz(mutated(base_study.CODEBOOK_YAML, YAML_PIECES),
         lambda text: load(text, "codebook.yaml", load_codebook))


def test_yaml_on_any_text():
    fuzz(st.text(alphabet=st.sampled_from(list("&*[]{}:-?|>!%'\"#\n\t ab1é")), max_size=400),
         lambda text: load(text, "study.yaml", load_study))


def test_spss_reader():
    fuzz(damaged_sav(), lambda data: read_file(data, "t1.sav", format="sav"))
