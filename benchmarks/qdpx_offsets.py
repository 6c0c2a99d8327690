"""Which offsets give the right text: ``python -m benchmarks.qdpx_offsets``.

Synthetic REFI-QDA projects are written as real tools write them: transcripts with emoji (outside
the Basic Multilingual Plane), Windows line ends and byte-order marks; selections of whole turns
(paragraphs) and of phrases within turns; offsets counted as each tool counts them (computed by
encoding the stored text, independently of evalkit); selection names that quote the text or stay
empty. Each file is read by ``read_qdpx``; the table gives, per kind of file, the share of
selections whose text comes back exactly under each fixed convention and under evalkit's choice.
Same seed, same table.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from evalkit import read_qdpx
from evalkit.read.qda._text import (
    Counting,
    crlf_newlines,
    decode_text,
    non_bmp_positions,
    to_text_offsets,
)

NS = "urn:QDA-XML:project:1.0"
USER = "11111111-1111-4111-8111-111111111111"
CODE = "aaaaaaaa-0000-4000-8000-000000000001"
WORDS = ("on nous consulte mais rien ne change les intervenantes sont présentes ça me "
         "réconforte à chaque visite je me sens écoutée le comité a décidé sans nous").split()
EMOJI = ["😀", "🙂", "🎉", "💪", "🙏", "😢"]

#: The kinds of file: exporting tool (origin), how it counts, how it names selections, what it
#: codes (share of whole turns), its line ends and byte-order mark.
KINDS = {
    "ATLAS.ti (quotes as names)": dict(origin="ATLAS.ti 23.2", counting=Counting(),
                                       names=True, paragraphs=0.3, crlf=True, bom=True),
    "NVivo, paragraphs": dict(origin="NVivo 14 (Windows)", counting=Counting("utf16"),
                              names=False, paragraphs=0.8, crlf=True, bom=True),
    "NVivo, phrases only": dict(origin="NVivo 14 (Windows)", counting=Counting("utf16"),
                                names=False, paragraphs=0.0, crlf=True, bom=True),
    "NVivo rewritten by a library": dict(origin="otherlib 0.3", counting=Counting("utf16"),
                                         names=False, paragraphs=0.8, crlf=True, bom=False),
    "MAXQDA (CRLF, no names)": dict(origin="MAXQDA 24", counting=Counting(), names=False,
                                    paragraphs=0.5, crlf=True, bom=False),
    "line ends counted once": dict(origin="sometool 2", counting=Counting("code_points", "lf"),
                                   names=True, paragraphs=0.3, crlf=True, bom=False),
    "byte-order mark counted": dict(origin="sometool 2", counting=Counting(bom=True),
                                    names=True, paragraphs=0.3, crlf=False, bom=True),
    "UTF-16, no evidence, tool unknown": dict(origin="sometool 2", counting=Counting("utf16"),
                                              names=False, paragraphs=0.0, crlf=False,
                                              bom=False),
}
FIXED = [Counting(), Counting("utf16"), Counting("code_points", "lf"),
         Counting("code_points", bom=True)]


def transcript(generator, n_turns: int) -> list[str]:
    turns = []
    for i in range(n_turns):
        words = list(generator.choice(WORDS, size=generator.integers(6, 30)))
        for _ in range(generator.poisson(0.8)):
            words.insert(int(generator.integers(0, len(words) + 1)), str(generator.choice(EMOJI)))
        turns.append(("Q : " if i % 2 == 0 else "R : ") + " ".join(words) + ".")
    return turns


def counted(stored: str, start: int, end: int, counting: Counting) -> tuple[int, int]:
    """Offsets of ``stored[start:end]`` as a tool counting with ``counting`` writes them."""
    text = stored.replace("\r\n", "\n") if counting.line_ends == "lf" else stored
    if counting.line_ends == "lf":  # positions move left by the \r removed before them
        start -= stored[:start].count("\r\n")
        end -= stored[:end].count("\r\n")

    def count(prefix: str) -> int:
        units = len(prefix.encode("utf-16-le")) // 2 if counting.unit == "utf16" else len(prefix)
        return units + counting.bom

    return count(text[:start]), count(text[:end])


def build(path: Path, kind: dict, generator) -> list[str]:
    """Write one file of ``kind``; return the text each selection should give."""
    newline = "\r\n" if kind["crlf"] else "\n"
    turns = transcript(generator, 40)
    stored = newline.join(turns) + newline
    wanted, sels = [], []
    starts = np.cumsum([0] + [len(t) + len(newline) for t in turns])
    for i in range(60):
        turn = int(generator.integers(0, len(turns)))
        a = int(starts[turn])
        if generator.random() < kind["paragraphs"]:
            b = a + len(turns[turn])
        else:
            a += int(generator.integers(4, max(5, len(turns[turn]) // 2)))
            b = min(a + int(generator.integers(5, 40)), int(starts[turn]) + len(turns[turn]))
        s, e = counted(stored, a, b, kind["counting"])
        name = stored[a:b][:60] if kind["names"] else ""
        name = name.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        wanted.append(stored[a:b].replace("\r\n", "\n"))
        sels.append(f'<PlainTextSelection guid="dddddddd-0000-4000-8000-{i:012d}" name="{name}" '
                    f'startPosition="{s}" endPosition="{e}"><Coding guid="eeeeeeee-0000-4000-'
                    f'8000-{i:012d}" creatingUser="{USER}"><CodeRef targetGUID="{CODE}"/>'
                    f'</Coding></PlainTextSelection>')
    source = "bbbbbbbb-0000-4000-8000-000000000001"
    qde = (f'<?xml version="1.0" encoding="UTF-8"?><Project xmlns="{NS}" name="p" '
           f'origin="{kind["origin"]}"><Users><User guid="{USER}" name="u"/></Users><CodeBook>'
           f'<Codes><Code guid="{CODE}" name="c" isCodable="true"/></Codes></CodeBook><Sources>'
           f'<TextSource guid="{source}" name="E" plainTextPath="internal://{source}.txt">'
           f'{"".join(sels)}</TextSource></Sources></Project>')
    raw = ("\ufeff" if kind["bom"] or kind["counting"].bom else "") + stored
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", qde)
        archive.writestr(f"sources/{source}.txt", raw.encode("utf-8"))
    return wanted


def shares(path: Path, wanted: list[str]) -> dict[str, float]:
    project = read_qdpx(path)
    selections = project.selections.sort_values("selection_id")
    out = {"evalkit": float(np.mean([a == b for a, b in zip(selections["text"], wanted,
                                                              strict=True)]))}
    with zipfile.ZipFile(path) as archive:
        raw = next(archive.read(n) for n in archive.namelist() if n.endswith(".txt"))
        qde = archive.read("project.qde").decode("utf-8")
    decoded = decode_text(raw)
    text = decoded.text
    pairs = [(int(a), int(b)) for a, b in
             re.findall(r'startPosition="(-?\d+)" endPosition="(-?\d+)"', qde)]
    starts = np.array([p[0] for p in pairs], dtype=np.int64)
    ends = np.array([p[1] for p in pairs], dtype=np.int64)
    stored_crlf, non_bmp = crlf_newlines(decoded.crlf), non_bmp_positions(text)
    for counting in FIXED:
        wide = counting.wide(text, stored_crlf, non_bmp)
        s, _ = to_text_offsets(starts, wide, bom=counting.bom)
        e, _ = to_text_offsets(ends, wide, bom=counting.bom)
        got = [text[max(a, 0):max(b, 0)] for a, b in zip(s, e, strict=True)]
        out[counting.name] = float(np.mean([a == b for a, b in zip(got, wanted, strict=True)]))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20, help="files of each kind")
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args(argv)
    generator = np.random.default_rng(args.seed)
    columns = [c.name for c in FIXED] + ["evalkit"]
    print(f"{args.files} files of each kind, 60 selections each; share of selections whose text "
          f"comes back exactly\n")
    print("| kind of file | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    totals = {c: [] for c in columns}
    with tempfile.TemporaryDirectory() as tmp:
        for label, kind in KINDS.items():
            rows = []
            for i in range(args.files):
                path = Path(tmp) / f"f{i}.qdpx"
                wanted = build(path, kind, generator)
                rows.append(shares(path, wanted))
            mean = {c: float(np.mean([r[c] for r in rows])) for c in columns}
            for c in columns:
                totals[c].append(mean[c])
            print(f"| {label} | " + " | ".join(f"{mean[c]:.1%}" for c in columns) + " |")
    print("| all kinds | " + " | ".join(f"{np.mean(totals[c]):.1%}" for c in columns) + " |")


if __name__ == "__main__":
    main()
