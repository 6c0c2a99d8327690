"""Reading REFI-QDA projects: crafted deviations from the standard, broken and hostile files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pandas as pd
import pytest

from evalkit import ArgumentError, DataError, read_qdc, read_qdpx
from evalkit.read.qda import _safe as safe

NS = "urn:QDA-XML:project:1.0"
U1 = "11111111-1111-4111-8111-111111111111"
U2 = "22222222-2222-4222-8222-222222222222"
C_ROOT = "aaaaaaaa-0000-4000-8000-000000000001"
C_A = "aaaaaaaa-0000-4000-8000-000000000002"
C_B = "aaaaaaaa-0000-4000-8000-000000000003"
S1 = "bbbbbbbb-0000-4000-8000-000000000001"
S2 = "bbbbbbbb-0000-4000-8000-000000000002"
V_SITE = "cccccccc-0000-4000-8000-000000000001"
V_GROUP = "cccccccc-0000-4000-8000-000000000002"
V_PID = "cccccccc-0000-4000-8000-000000000003"


def qde(sources: str = "", *, namespace: str | None = NS, extra: str = "",
        users: str | None = None, attrs: str = "") -> str:
    """A project.qde with two users and a small code tree around the given sources."""
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    users = users if users is not None else (
        f'<Users><User guid="{U1}" name="codeur_A"/><User guid="{U2}"/></Users>')
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Project{xmlns} name="t" '
            f'origin="crafted 1.0"{attrs}>{users}'
            f'<CodeBook><Codes><Code guid="{C_ROOT}" name="Thème" isCodable="false">'
            f'<Description>Le thème</Description>'
            f'<Code guid="{C_A}" name="Écoute" isCodable="true" color="#00FF00"/>'
            f'<Code guid="{C_B}" name="Sécurité" isCodable="true"/></Code></Codes></CodeBook>'
            f'{extra}<Sources>{sources}</Sources></Project>')


def selection(guid_end: int, start: int, end: int, code: str = C_A, user: str = U1,
              name: str | None = None) -> str:
    label = f' name="{name}"' if name is not None else ""
    return (f'<PlainTextSelection guid="dddddddd-0000-4000-8000-{guid_end:012d}"{label} '
            f'startPosition="{start}" endPosition="{end}">'
            f'<Coding guid="eeeeeeee-0000-4000-8000-{guid_end:012d}" creatingUser="{user}">'
            f'<CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>')


def text_source(path: str, selections: str = "", *, guid: str = S1, name: str = "ENT-01",
                rich: str | None = None) -> str:
    rich_attr = f' richTextPath="{rich}"' if rich else ""
    return (f'<TextSource guid="{guid}" name="{name}" plainTextPath="{path}"{rich_attr}>'
            f'{selections}</TextSource>')


def make_qdpx(folder: Path, qde_text: str | bytes, members: dict[str, bytes] | None = None,
              *, qde_name: str = "project.qde", name: str = "p.qdpx") -> Path:
    path = folder / name
    data = qde_text.encode("utf-8") if isinstance(qde_text, str) else qde_text
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(qde_name, data)
        for member, content in (members or {}).items():
            archive.writestr(member, content)
    return path


def docx_bytes(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def keys(project) -> set[str]:
    return {w.key for w in project.warnings}


def warning(project, key: str):
    found = [w for w in project.warnings if w.key == key]
    assert len(found) == 1, [w.key for w in project.warnings]
    return found[0]


TEXT = "Q : Bonjour.\nR : On nous consulte mais rien ne change.\n"


# ------------------------------------------------------------------ a file that follows the standard


def test_a_standard_project_reads_without_warnings(tmp_path):
    start = TEXT.index("On nous")
    sels = selection(1, start, start + 16) + selection(2, start, start + 16, code=C_B, user=U2)
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", sels)),
                     {f"sources/{S1}.txt": TEXT.encode()})
    project = read_qdpx(path)
    assert project.warnings == []
    assert project.provenance["origin"] == "crafted 1.0"
    assert len(project.provenance["sha256"]) == 64
    codes = project.codes.set_index("name")
    assert codes.loc["Écoute", "path"] == "Thème/Écoute"
    assert codes.loc["Écoute", "depth"] == 1 and codes.loc["Thème", "depth"] == 0
    assert codes.loc["Écoute", "parent_id"] == C_ROOT
    assert not codes.loc["Thème", "is_codable"] and codes.loc["Écoute", "color"] == "#00FF00"
    assert codes.loc["Thème", "description"] == "Le thème"
    source = project.sources.iloc[0]
    assert (source["kind"], source["origin"], source["n_chars"]) == ("text", "txt", len(TEXT))
    assert source["path"] == f"internal://{S1}.txt"
    segments = project.segments()
    assert segments["text"].tolist() == ["On nous consulte"] * 2
    # a nameless user is named by its guid
    assert sorted(segments["coder"]) == sorted(["codeur_A", U2])
    assert segments["code_path"].tolist() == ["Thème/Sécurité", "Thème/Écoute"]


def test_guids_with_braces_and_capitals_still_match(tmp_path):
    sel = selection(1, 0, 3).replace(f'targetGUID="{C_A}"', f'targetGUID="{{{C_A.upper()}}}"')
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", sel)),
                     {f"sources/{S1}.txt": TEXT.encode()})
    assert read_qdpx(path).segments()["code"].tolist() == ["Écoute"]


# ------------------------------------------------------------------ source paths and folders


def test_bare_file_names_are_found_in_sources(tmp_path):
    path = make_qdpx(tmp_path, qde(text_source("board.txt", selection(1, 0, 12))),
                     {"sources/board.txt": TEXT.encode()})
    project = read_qdpx(path)
    assert warning(project, "qual.warn.bare_path").params["examples"] == "board.txt"
    assert project.segments()["text"].tolist() == ["Q : Bonjour."]


def test_capitalised_sources_folder_is_read_with_a_warning(tmp_path):
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", selection(1, 0, 1))),
                     {f"Sources/{S1}.TXT": TEXT.encode()})
    project = read_qdpx(path)
    assert warning(project, "qual.warn.sources_folder").params["folder"] == "Sources"
    assert "qual.warn.member_case" in keys(project)
    assert project.sources["text"].iloc[0] == TEXT


def test_project_file_with_another_name_is_found(tmp_path):
    path = make_qdpx(tmp_path, qde(), qde_name="Export/Project.QDE")
    project = read_qdpx(path)
    assert warning(project, "qual.warn.qde_name").params["member"] == "Export/Project.QDE"


def _relative_project(tmp_path: Path) -> Path:
    sources = (text_source("relative://interviews/a.txt", guid=S1, name="A")
               + text_source("relative://b.txt", guid=S2, name="B"))
    (tmp_path / "b.txt").write_text("beside", encoding="utf-8")
    return make_qdpx(tmp_path, qde(sources, attrs=' basePath="C:/Projet/Sources"'),
                     {"sources/a.txt": b"in the archive"})


def test_relative_paths_outside_the_archive_are_read_only_when_allowed(tmp_path):
    path = _relative_project(tmp_path)
    project = read_qdpx(path)
    texts = dict(zip(project.sources["name"], project.sources["text"], strict=True))
    assert texts == {"A": "in the archive", "B": ""}
    assert warning(project, "qual.warn.external_not_allowed").params["examples"] == \
        "relative://b.txt"
    assert "external_sources" in warning(project, "qual.warn.external_not_allowed").render("fr")
    project = read_qdpx(path, external_sources=tmp_path)
    texts = dict(zip(project.sources["name"], project.sources["text"], strict=True))
    assert texts == {"A": "in the archive", "B": "beside"}
    assert warning(project, "qual.warn.relative_path").params["base_path"] == \
        "C:/Projet/Sources"
    found = warning(project, "qual.warn.read_external")
    assert (found.params["n"], found.params["examples"]) == (1, "b.txt")
    assert project.provenance["base_path"] == "C:/Projet/Sources"


def test_external_sources_must_be_a_folder(tmp_path):
    path = _relative_project(tmp_path)
    with pytest.raises(ArgumentError, match="external_sources must be a folder"):
        read_qdpx(path, external_sources=tmp_path / "nowhere")


def test_relative_paths_never_climb_out_of_the_folder(tmp_path):
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "secret.txt").write_text("do not read", encoding="utf-8")
    path = make_qdpx(inner, qde(text_source("relative://../secret.txt")))
    project = read_qdpx(path, external_sources=inner)
    assert project.sources["text"].iloc[0] == ""
    assert "qual.warn.external_refused" in keys(project)


@pytest.mark.parametrize("rel", [".ssh/id_rsa", "notes/.key", "./.env", "a/../../secret.txt",
                                 "C:/secret.txt", "notes\\..\\..\\secret.txt"])
def test_hidden_files_and_escapes_are_never_read(tmp_path, rel):
    folder = tmp_path / "study"
    for name in (".ssh/id_rsa", "notes/.key", ".env"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("PRIVATE KEY", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("PRIVATE KEY", encoding="utf-8")
    path = make_qdpx(tmp_path, qde(text_source(f"relative://{rel}")))
    project = read_qdpx(path, external_sources=folder)
    assert project.sources["text"].iloc[0] == ""
    assert "qual.warn.external_refused" in keys(project)


def test_a_leading_slash_stays_inside_the_folder(tmp_path):
    folder = tmp_path / "study"
    (folder / "etc").mkdir(parents=True)
    (folder / "etc" / "notes.txt").write_text("inside", encoding="utf-8")
    path = make_qdpx(tmp_path, qde(text_source("relative:///etc/notes.txt")))
    assert read_qdpx(path, external_sources=folder).sources["text"].iloc[0] == "inside"
    path = make_qdpx(tmp_path, qde(text_source("relative:///etc/passwd")), name="q.qdpx")
    project = read_qdpx(path, external_sources=folder)
    assert project.sources["text"].iloc[0] == ""
    assert "qual.warn.source_missing" in keys(project)


def test_links_out_of_the_folder_or_to_hidden_files_are_refused(tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    (tmp_path / "secret.txt").write_text("PRIVATE", encoding="utf-8")
    (folder / ".hidden.txt").write_text("PRIVATE", encoding="utf-8")
    (folder / "out.txt").symlink_to(tmp_path / "secret.txt")
    (folder / "in.txt").symlink_to(folder / ".hidden.txt")
    sources = (text_source("relative://out.txt", guid=S1, name="A")
               + text_source("relative://in.txt", guid=S2, name="B"))
    project = read_qdpx(make_qdpx(tmp_path, qde(sources)), external_sources=folder)
    assert project.sources["text"].tolist() == ["", ""]
    assert warning(project, "qual.warn.external_refused").params["n"] == 2


def test_absolute_paths_are_never_opened(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("private", encoding="utf-8")
    path = make_qdpx(tmp_path, qde(text_source(f"absolute://{outside.as_posix()}")))
    project = read_qdpx(path)
    assert project.sources["text"].iloc[0] == ""
    assert {"qual.warn.absolute_path", "qual.warn.source_missing"} <= keys(project)


def test_missing_source_file_gives_empty_text_and_a_warning(tmp_path):
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", selection(1, 0, 3))))
    project = read_qdpx(path)
    assert warning(project, "qual.warn.source_missing").params["n"] == 1
    assert project.segments()["text"].tolist() == [""]
    assert "qual.warn.offset_range" in keys(project)


# ------------------------------------------------------------------ text: docx, BOM, CRLF, encodings


def test_docx_beside_a_blank_txt_gives_the_text(tmp_path):
    paragraphs = ["Q : Comment ça va ?", "R : Je me sens écoutée."]
    joined = "\n".join(paragraphs)
    start = joined.index("Je me")
    path = make_qdpx(
        tmp_path,
        qde(text_source(f"internal://{S1}.txt", selection(1, start, start + 21),
                        rich=f"internal://{S1}.docx")),
        {f"sources/{S1}.txt": b"\n", f"sources/{S1}.docx": docx_bytes(paragraphs)})
    project = read_qdpx(path)
    source = project.sources.iloc[0]
    assert (source["origin"], source["text"]) == ("docx", joined)
    assert project.segments()["text"].tolist() == ["Je me sens écoutée."[:21]]
    assert warning(project, "qual.warn.text_from_docx").params["n"] == 1


def test_docx_instead_of_plain_text(tmp_path):
    source = f'<TextSource guid="{S1}" name="D" richTextPath="internal://{S1}.docx"/>'
    path = make_qdpx(tmp_path, qde(source), {f"sources/{S1}.docx": docx_bytes(["Un", "Deux"])})
    project = read_qdpx(path)
    assert project.sources["text"].iloc[0] == "Un\nDeux"
    assert project.sources["origin"].iloc[0] == "docx"


def test_plain_text_wins_over_docx_when_it_has_text(tmp_path):
    path = make_qdpx(
        tmp_path, qde(text_source(f"internal://{S1}.txt", rich=f"internal://{S1}.docx")),
        {f"sources/{S1}.txt": b"plain", f"sources/{S1}.docx": docx_bytes(["rich"])})
    project = read_qdpx(path)
    assert project.sources["text"].iloc[0] == "plain" and project.warnings == []


def test_byte_order_mark_is_removed_and_not_counted(tmp_path):
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", selection(1, 0, 12))),
                     {f"sources/{S1}.txt": b"\xef\xbb\xbf" + TEXT.encode()})
    project = read_qdpx(path)
    assert project.sources["text"].iloc[0] == TEXT
    assert project.segments()["text"].tolist() == ["Q : Bonjour."]
    assert "qual.warn.bom" in keys(project)


def test_selection_names_reveal_a_counted_byte_order_mark(tmp_path):
    start = TEXT.index("On nous") + 1  # the exporting tool counted the BOM
    sel = selection(1, start, start + 16, name="On nous consulte")
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", sel)),
                     {f"sources/{S1}.txt": b"\xef\xbb\xbf" + TEXT.encode()})
    project = read_qdpx(path)
    assert project.segments()["text"].tolist() == ["On nous consulte"]
    assert "qual.warn.bom_counted" in keys(project)


def test_crlf_is_normalised_and_stored_offsets_are_moved(tmp_path):
    stored = "ligne un\r\nligne deux\r\nligne trois"
    start = stored.index("deux")  # counted in the text as stored: 16
    sels = selection(1, start, start + 4) + selection(2, stored.index("trois"), len(stored))
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", sels)),
                     {f"sources/{S1}.txt": stored.encode()})
    project = read_qdpx(path)
    assert project.sources["text"].iloc[0] == "ligne un\nligne deux\nligne trois"
    assert project.segments()["text"].tolist() == ["deux", "trois"]
    found = warning(project, "qual.warn.crlf")
    assert found.params["moved"] == 4  # both ends of both selections moved
    assert project.selections["start"].tolist() == [15, 26]


def test_crlf_offsets_counted_on_normalised_text_are_kept_when_names_say_so(tmp_path):
    stored = "ligne un\r\nligne deux\r\nligne trois"
    normal = stored.replace("\r\n", "\n")
    start = normal.index("deux")
    sels = (selection(1, start, start + 4, name="deux")
            + selection(2, normal.index("trois"), len(normal), name="trois"))
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", sels)),
                     {f"sources/{S1}.txt": stored.encode()})
    project = read_qdpx(path)
    assert project.segments()["text"].tolist() == ["deux", "trois"]
    assert "qual.warn.crlf_kept" in keys(project)
    assert "qual.warn.offset_mismatch" not in keys(project)


def test_selections_that_do_not_quote_their_text_are_measured(tmp_path):
    sels = (selection(1, 0, 12, name="Q : Bonjour.")
            + selection(2, 4, 12, name="rien ne change")  # wrong offsets
            + selection(3, 13, 20, name="line:2"))  # a label, not a quote: not evidence
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", sels)),
                     {f"sources/{S1}.txt": TEXT.encode()})
    found = warning(read_qdpx(path), "qual.warn.offset_mismatch")
    assert (found.params["n_bad"], found.params["n_checked"]) == (1, 2)


def test_offsets_outside_the_text_are_clipped(tmp_path):
    sels = selection(1, 40, 500) + selection(2, -3, 4)
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", sels)),
                     {f"sources/{S1}.txt": TEXT.encode()})
    project = read_qdpx(path)
    assert warning(project, "qual.warn.offset_range").params["n_outside"] == 2
    selections = project.selections.sort_values("start")
    assert selections[["start", "end"]].values.tolist() == [[0, 4], [40, len(TEXT)]]


def test_reversed_selections_are_refused_and_not_counted(tmp_path):
    sels = selection(1, 0, 12) + selection(2, 9, 3)
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", sels)),
                     {f"sources/{S1}.txt": TEXT.encode()})
    project = read_qdpx(path)
    found = warning(project, "qual.warn.reversed_selection")
    assert (found.params["n"], found.params["examples"]) == (
        1, "dddddddd-0000-4000-8000-000000000002")
    assert project.selections["text"].tolist() == ["Q : Bonjour."]
    assert len(project.codings) == 1 and len(project.segments()) == 1
    assert "commencent après leur fin" in found.render("fr")


@pytest.mark.parametrize("value", ["1" + "0" * 30, "9" * 5000, "1e3", "", " ", "0x10", "١٢"])
def test_positions_are_bounded_whole_numbers(tmp_path, value):
    sels = selection(1, 0, 12) + selection(2, 0, 3).replace('endPosition="3"',
                                                           f'endPosition="{value}"')
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", sels)),
                     {f"sources/{S1}.txt": TEXT.encode()})
    project = read_qdpx(path)
    assert warning(project, "qual.warn.bad_position").params["n"] == 1
    assert project.selections["text"].tolist() == ["Q : Bonjour."]


def test_text_in_another_encoding_is_decoded_with_a_warning(tmp_path):
    text = "Les intervenantes sont très présentes, ça me réconforte beaucoup à chaque visite."
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt")),
                     {f"sources/{S1}.txt": text.encode("cp1252")})
    project = read_qdpx(path)
    assert project.sources["text"].iloc[0] == text
    assert "qual.warn.encoding" in keys(project)


def test_inline_text_is_read(tmp_path):
    source = (f'<TextSource guid="{S1}" name="I"><PlainTextContent>Bonjour à vous'
              f'</PlainTextContent>{selection(1, 0, 7)}</TextSource>')
    project = read_qdpx(make_qdpx(tmp_path, qde(source)))
    assert project.sources["origin"].iloc[0] == "inline"
    assert project.segments()["text"].tolist() == ["Bonjour"]
    assert project.warnings == []


# ------------------------------------------------------------------ XML deviations


def test_missing_namespace_is_tolerated(tmp_path):
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", selection(1, 0, 1)),
                                   namespace=None), {f"sources/{S1}.txt": TEXT.encode()})
    project = read_qdpx(path)
    assert warning(project, "qual.warn.no_namespace").params["expected"] == NS
    assert len(project.segments()) == 1


def test_another_namespace_is_tolerated(tmp_path):
    path = make_qdpx(tmp_path, qde(namespace="urn:QDA-XML:project:0.9"))
    assert "qual.warn.other_namespace" in keys(read_qdpx(path))


def test_codes_users_and_references_that_break_the_rules(tmp_path):
    ghost = "99999999-9999-4999-8999-999999999999"
    sels = (selection(1, 0, 1, code=ghost)  # unknown code
            + selection(2, 0, 1, user=ghost)  # unknown user
            + selection(3, 0, 1).replace(f' creatingUser="{U1}"', ""))  # no user at all
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", sels)),
                     {f"sources/{S1}.txt": TEXT.encode()})
    project = read_qdpx(path)
    assert {"qual.warn.unknown_code", "qual.warn.unknown_user", "qual.warn.no_user"} <= \
        keys(project)
    assert sorted(project.segments()["coder"]) == sorted([ghost, "unknown"])


def test_missing_guid_and_is_codable_are_tolerated(tmp_path):
    text = qde().replace(f'<Code guid="{C_B}" name="Sécurité" isCodable="true"/>',
                         '<Code name="Sécurité"/>')
    project = read_qdpx(make_qdpx(tmp_path, text))
    assert {"qual.warn.missing_guid", "qual.warn.codable_missing"} <= keys(project)
    assert project.codes.set_index("name").loc["Sécurité", "is_codable"]


def test_duplicate_source_names_are_made_unique(tmp_path):
    sources = (text_source(f"internal://{S1}.txt", guid=S1, name="Entrevue")
               + text_source(f"internal://{S2}.txt", guid=S2, name="Entrevue"))
    path = make_qdpx(tmp_path, qde(sources), {f"sources/{S1}.txt": b"a",
                                               f"sources/{S2}.txt": b"b"})
    project = read_qdpx(path)
    assert project.documents()["document"].tolist() == ["Entrevue (1)", "Entrevue (2)"]
    assert project.sources["name"].tolist() == ["Entrevue", "Entrevue"]
    assert "qual.warn.duplicate_source_name" in keys(project)


def test_non_text_selections_are_skipped_with_a_warning(tmp_path):
    pdf = (f'<PDFSource guid="{S2}" name="rapport.pdf" path="internal://{S2}.pdf">'
           f'<PDFSelection guid="dddddddd-0000-4000-8000-000000000099" page="0" firstX="1" '
           f'firstY="1" secondX="2" secondY="2"/>'
           f'<Representation guid="dddddddd-0000-4000-8000-000000000098" '
           f'plainTextPath="internal://{S2}.txt">{selection(5, 0, 4)}</Representation>'
           f'</PDFSource>')
    path = make_qdpx(tmp_path, qde(pdf), {f"sources/{S2}.txt": b"Page un du rapport"})
    project = read_qdpx(path)
    assert project.sources["kind"].tolist() == ["pdf"]
    assert project.segments()["text"].tolist() == ["Page"]
    assert "qual.warn.non_text_selection" in keys(project)


def test_a_coding_of_a_whole_source_spans_its_text(tmp_path):
    source = (f'<TextSource guid="{S1}" name="E" plainTextPath="internal://{S1}.txt">'
              f'<Coding guid="eeeeeeee-0000-4000-8000-000000000077" creatingUser="{U1}">'
              f'<CodeRef targetGUID="{C_B}"/></Coding></TextSource>')
    path = make_qdpx(tmp_path, qde(source), {f"sources/{S1}.txt": TEXT.encode()})
    segments = read_qdpx(path).segments()
    assert segments[["start", "end", "text"]].values.tolist() == [[0, len(TEXT), TEXT]]


# ------------------------------------------------------------------ cases, variables, notes


def _cases_project(tmp_path: Path) -> Path:
    def value(var: str, text: str) -> str:
        return (f'<VariableValue><VariableRef targetGUID="{var}"/><TextValue>{text}'
                f'</TextValue></VariableValue>')

    variables = (f'<Variables><Variable guid="{V_SITE}" name="site" typeOfVariable="Text"/>'
                 f'<Variable guid="{V_GROUP}" name="groupe" typeOfVariable="Text"/>'
                 f'<Variable guid="{V_PID}" name="pid" typeOfVariable="Text"/></Variables>')
    case_a = "ffffffff-0000-4000-8000-000000000001"
    case_b = "ffffffff-0000-4000-8000-000000000002"
    sel_b = "dddddddd-0000-4000-8000-000000000002"
    cases = (f'<Cases><Case guid="{case_a}" name="Mme A"><Description>usagère</Description>'
             f'{value(V_SITE, "Magog")}{value(V_GROUP, "user")}{value(V_PID, "P-07")}'
             f'<SourceRef targetGUID="{S1}"/></Case>'
             f'<Case guid="{case_b}" name="M. B">{value(V_SITE, "Magog")}'
             f'{value(V_GROUP, "carer")}<SelectionRef targetGUID="{sel_b}"/></Case></Cases>')
    note = ('<Notes><Note guid="77777777-0000-4000-8000-000000000001" name="Mémo">'
            '<PlainTextContent>À revoir</PlainTextContent></Note></Notes>')
    sels = selection(1, 0, 12) + selection(2, 13, 16)
    sels = sels.replace("</Coding></PlainTextSelection>",
                        '<NoteRef targetGUID="77777777-0000-4000-8000-000000000001"/>'
                        "</Coding></PlainTextSelection>", 1)
    source = text_source(f"internal://{S1}.txt", sels).replace(
        "</TextSource>", f'{value(V_SITE, "Granby")}</TextSource>')
    text = qde(source, extra=variables + cases).replace("</Sources>", "</Sources>" + note)
    return make_qdpx(tmp_path, text, {f"sources/{S1}.txt": TEXT.encode()})


def test_site_group_and_participant_come_from_cases(tmp_path):
    project = read_qdpx(_cases_project(tmp_path), group="groupe")
    assert project.cases["name"].tolist() == ["Mme A", "M. B"]
    assert project.case_variables.query("variable == 'pid'")["value"].tolist() == ["P-07"]
    segments = project.segments()
    # the selection's own case wins over the source's case
    assert segments[["participant", "site", "group"]].values.tolist() == [
        ["Mme A", "Magog", "user"], ["M. B", "Magog", "carer"]]
    assert project.documents()[["site", "group"]].values.tolist() == [["Magog", "user"]]
    assert project.source_variables["value"].tolist() == ["Granby"]


def test_participant_can_be_a_case_variable(tmp_path):
    project = read_qdpx(_cases_project(tmp_path), participant="pid", group="groupe")
    assert project.segments()["participant"].tolist()[0] == "P-07"


def test_notes_keep_their_target(tmp_path):
    notes = read_qdpx(_cases_project(tmp_path)).notes
    assert notes[["name", "text", "target_id"]].values.tolist() == [
        ["Mémo", "À revoir", "eeeeeeee-0000-4000-8000-000000000001"]]


def test_segments_units_argument(tmp_path):
    project = read_qdpx(_cases_project(tmp_path))
    assert project.segments(units="lines")["unit"].tolist() == ["ENT-01#1", "ENT-01#2"]
    with pytest.raises(ArgumentError, match="units must be None, 'lines'"):
        project.segments(units="turns")


# ------------------------------------------------------------------ files that cannot be read


def test_empty_files_are_named_as_such(tmp_path):
    for name, reader in (("x.qdpx", read_qdpx), ("x.qdc", read_qdc)):
        path = tmp_path / name
        path.write_bytes(b"")
        with pytest.raises(DataError, match=r"The file is empty \(0 bytes\)") as info:
            reader(path)
        assert "vide" in info.value.message_fr


def test_a_repeated_project_file_is_refused(tmp_path):
    path = tmp_path / "twice.qdpx"
    with pytest.warns(UserWarning, match="Duplicate name"), \
            zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde())
        archive.writestr("project.qde", qde().replace('name="t"', 'name="other"'))
    with pytest.raises(DataError, match="two members named project.qde") as info:
        read_qdpx(path)
    assert "deux membres" in info.value.message_fr


def test_other_compression_methods_are_refused_when_read(tmp_path):
    path = tmp_path / "bz.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("project.qde", qde())
    with pytest.raises(DataError, match="compressed with method 12"):
        read_qdpx(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="File not found"):
        read_qdpx(tmp_path / "nope.qdpx")


def test_not_a_zip(tmp_path):
    path = tmp_path / "x.qdpx"
    path.write_text(qde(), encoding="utf-8")
    with pytest.raises(DataError, match="Not a zip archive") as info:
        read_qdpx(path)
    assert "zip" in info.value.message_fr and info.value.hint


def test_no_project_file(tmp_path):
    path = tmp_path / "x.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sources/a.txt", "a")
    with pytest.raises(DataError, match=r"no project\.qde \(members: sources/a\.txt\)"):
        read_qdpx(path)


def test_malformed_xml_names_the_line(tmp_path):
    text = '<?xml version="1.0"?>\n<Project name="x">\n<Users>\n</Project>'
    with pytest.raises(DataError, match="Malformed XML at line 4") as info:
        read_qdpx(make_qdpx(tmp_path, text))
    assert "line 4" in info.value.where


def test_a_codebook_is_not_a_project(tmp_path):
    path = make_qdpx(tmp_path, '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>')
    with pytest.raises(DataError, match="root element is CodeBook, not Project") as info:
        read_qdpx(path)
    assert "read_qdc" in info.value.hint


def test_path_argument_type():
    with pytest.raises(ArgumentError, match="path must be a str or a Path"):
        read_qdpx(42)


# ------------------------------------------------------------------ hostile files

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Project [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol9;"/>"""


def test_billion_laughs_is_refused(tmp_path):
    with pytest.raises(DataError, match="declares a DTD, entities or external references"):
        read_qdpx(make_qdpx(tmp_path, BILLION_LAUGHS))


def test_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password", encoding="utf-8")
    text = (f'<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY xxe SYSTEM '
            f'"file://{secret.as_posix()}">]>\n'
            f'<Project xmlns="{NS}" name="&xxe;"/>')
    with pytest.raises(DataError, match="refused for safety"):
        read_qdpx(make_qdpx(tmp_path, text))
    codebook = tmp_path / "c.qdc"
    codebook.write_text(text.replace("Project", "CodeBook"), encoding="utf-8")
    with pytest.raises(DataError, match="refused for safety"):
        read_qdc(codebook)


@pytest.mark.parametrize("member, reason", [
    ("../evil.txt", "climbs out of the archive"),
    ("sources/../../evil.txt", "climbs out of the archive"),
    ("..\\..\\evil.txt", "climbs out of the archive"),
    ("/etc/evil.txt", "is an absolute path"),
    ("C:/Windows/evil.txt", "starts with a drive letter"),
])
def test_path_traversal_members_are_refused_before_extraction(tmp_path, member, reason):
    folder = tmp_path / "deep" / "er"
    folder.mkdir(parents=True)
    path = make_qdpx(folder, qde(), {member: b"x"})
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(DataError, match=reason) as info:
        read_qdpx(path)
    assert "est un chemin absolu" in info.value.message_fr or "sort" in \
        info.value.message_fr or "lecteur" in info.value.message_fr
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing was written anywhere


def test_high_ratio_member_is_refused(tmp_path):
    path = make_qdpx(tmp_path, qde(), {"sources/bomb.txt": b"\0" * (8 * 1024**2)})
    info = zipfile.ZipFile(path).getinfo("sources/bomb.txt")
    assert info.file_size / info.compress_size > safe.MAX_RATIO  # the crafted file is a bomb
    with pytest.raises(DataError, match="compressed .* times, more than the 200 allowed"):
        read_qdpx(path)


def test_total_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(safe, "MAX_TOTAL_BYTES", 1000)
    path = make_qdpx(tmp_path, qde(text_source("internal://a.txt")),
                     {"sources/a.txt": b"x" * 2000})
    with pytest.raises(DataError, match="would unpack to more than"):
        read_qdpx(path)
    # members that are never read do not count
    path = make_qdpx(tmp_path, qde(), {"sources/a.txt": b"x" * 2000}, name="unread.qdpx")
    assert read_qdpx(path).sources.empty


def test_many_small_members_are_checked_together(tmp_path, monkeypatch):
    # Each member is exactly at the per-member floor (not checked alone); together they
    # unpack to hundreds of times the file's size.
    monkeypatch.setattr(safe, "RATIO_FLOOR_BYTES", 64 * 1024)
    members = {f"sources/{i:04d}.txt": b"\0" * (64 * 1024) for i in range(200)}
    sources = "".join(text_source(f"internal://{i:04d}.txt", guid=f"bbbbbbbb-0000-4000-8000-"
                                  f"{i:012d}", name=f"E{i}") for i in range(200))
    path = make_qdpx(tmp_path, qde(sources), members)
    assert all(i.file_size == safe.RATIO_FLOOR_BYTES for i in zipfile.ZipFile(path).infolist()
               if i.filename != "project.qde")
    with pytest.raises(DataError, match="more than 200 times its size") as info:
        read_qdpx(path)
    assert "bombes zip" in info.value.message_fr


def _understate_size(path: Path, member: str, size: int) -> None:
    """Rewrite the central directory so that ``member`` declares ``size`` bytes."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + length] == name:
            data[at + 24:at + 28] = size.to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def test_a_member_is_never_read_past_its_declared_size(tmp_path):
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt")),
                     {f"sources/{S1}.txt": b"x" * 100_000})
    _understate_size(path, f"sources/{S1}.txt", 10)
    with pytest.raises(DataError, match=f"sources/{S1}.txt cannot be read"):
        read_qdpx(path)


def test_reading_stops_at_the_budget_whatever_the_headers_say(tmp_path, monkeypatch):
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt")),
                     {f"sources/{S1}.txt": b"x" * 100_000})
    with safe.open_checked_zip(path) as archive:
        member = next(m for m in archive.members if m.name.endswith(".txt"))
        monkeypatch.setattr(safe, "RATIO_FLOOR_BYTES", 1000)
        monkeypatch.setattr(safe, "MAX_RATIO", 3)
        with pytest.raises(DataError, match="compressed .* times"):
            archive.read(member)
        assert archive.read_bytes <= 2 * 1024**2  # stopped after the first chunk


def test_the_xml_element_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(safe, "MAX_XML_ELEMENTS", 10)
    with pytest.raises(DataError, match="XML holds up to 11 elements, more than the 10"):
        read_qdpx(make_qdpx(tmp_path, qde()))


def test_the_selected_text_limit(tmp_path, monkeypatch):
    from evalkit.read.qda import refi

    monkeypatch.setattr(refi, "MAX_SELECTED_CHARS", 100)
    sels = "".join(selection(i, 0, len(TEXT)) for i in range(1, 5))
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", sels)),
                     {f"sources/{S1}.txt": TEXT.encode()})
    with pytest.raises(DataError, match="more than 100 characters of text"):
        read_qdpx(path)
    # the limit grows with the sources' text
    monkeypatch.setattr(refi, "MAX_SELECTED_CHARS", 10_000)
    monkeypatch.setattr(refi, "SELECTED_FLOOR_CHARS", 10)
    monkeypatch.setattr(refi, "SELECTED_PER_TEXT", 4)
    assert len(read_qdpx(path).selections) == 4  # 4 copies of the text: within 4 times it
    monkeypatch.setattr(refi, "SELECTED_PER_TEXT", 3)
    with pytest.raises(DataError, match=f"more than {3 * len(TEXT)} characters of text"):
        read_qdpx(path)


def test_member_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(safe, "MAX_MEMBER_BYTES", 100)
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt")),
                     {f"sources/{S1}.txt": b"y" * 500})
    with pytest.raises(DataError, match="more than the 1 MiB that are read"):
        read_qdpx(path)


# ------------------------------------------------------------------ codebooks (.qdc)

CODEBOOK = """<?xml version="1.0" encoding="UTF-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="outil 2.0">
<Codes>
<Code guid="{5215cc69-b628-4e02-afb9-9beeaee55808}" name="Implication" isCodable="false">
  <Code guid="d7aa29da-519b-4946-9b90-253b6db8fd0a" name="Consulté" isCodable="true"
        color="#ffff00"><Description>On demande l'avis</Description></Code>
</Code>
<Code guid="0dcef2f5-e55c-49da-8c33-9b0803c7aeb4" name="Réseau" isCodable="true"/>
</Codes>
<Sets><Set guid="9fa9bcb7-5b59-47a9-8c3e-f65cffdc7520" name="Clés">
  <MemberCode guid="0dcef2f5-e55c-49da-8c33-9b0803c7aeb4"/></Set></Sets>
</CodeBook>"""


def test_read_codebook(tmp_path):
    path = tmp_path / "grille.qdc"
    path.write_text(CODEBOOK, encoding="utf-8")
    book = read_qdc(path)
    assert book.codes["path"].tolist() == ["Implication", "Implication/Consulté", "Réseau"]
    assert book.codes["parent_id"].tolist()[1] == "5215cc69-b628-4e02-afb9-9beeaee55808"
    assert book.codes["description"].tolist()[1] == "On demande l'avis"
    assert book.codes["is_codable"].tolist() == [False, True, True]
    assert book.provenance["origin"] == "outil 2.0" and book.warnings == []
    # MemberCode of a codebook set carries a guid attribute (codebook schema, as ATLAS.ti)
    assert book.sets[["name", "code_id"]].values.tolist() == [
        ["Clés", "0dcef2f5-e55c-49da-8c33-9b0803c7aeb4"]]


def test_codebook_set_members_written_as_in_the_project_schema(tmp_path):
    path = tmp_path / "grille.qdc"
    text = CODEBOOK.replace('<MemberCode guid="0dcef2f5-e55c-49da-8c33-9b0803c7aeb4"/>',
                            '<MemberCode targetGUID="0dcef2f5-e55c-49da-8c33-9b0803c7aeb4"/>'
                            '<MemberCode guid="99999999-e55c-49da-8c33-9b0803c7aeb4"/>')
    path.write_text(text, encoding="utf-8")
    book = read_qdc(path)
    assert book.sets["code_id"].tolist() == ["0dcef2f5-e55c-49da-8c33-9b0803c7aeb4"]
    assert warning(book, "qual.warn.set_member_target").params["examples"] == "Clés"
    assert warning(book, "qual.warn.set_unknown_code").params["n"] == 1


def _nested_codes(depth: int) -> str:
    opening = "".join(f'<Code guid="aaaaaaaa-1111-4000-8000-{i:012d}" name="c{i}" '
                      f'isCodable="true">' for i in range(depth))
    return opening + "</Code>" * depth


def test_deeply_nested_codes_are_read_without_recursion(tmp_path):
    depth = 1_000
    path = make_qdpx(tmp_path, qde().replace(
        "</Code></Codes>", "</Code>" + _nested_codes(depth) + "</Codes>"))
    codes = read_qdpx(path).codes
    assert len(codes) == 3 + depth and codes["depth"].max() == depth - 1
    assert codes["path"].iloc[-1] == "/".join(f"c{i}" for i in range(depth))
    book = tmp_path / "deep.qdc"
    book.write_text(f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{_nested_codes(depth)}'
                    f'</Codes></CodeBook>', encoding="utf-8")
    assert read_qdc(book).codes["depth"].max() == depth - 1


def test_code_depth_and_path_limits(tmp_path, monkeypatch):
    from evalkit.read.qda import refi

    book = tmp_path / "deep.qdc"
    book.write_text(f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{_nested_codes(50)}'
                    f'</Codes></CodeBook>', encoding="utf-8")
    monkeypatch.setattr(refi, "MAX_CODE_DEPTH", 20)
    with pytest.raises(DataError, match="nested more than 20 levels"):
        read_qdc(book)
    monkeypatch.setattr(refi, "MAX_CODE_DEPTH", 100)
    monkeypatch.setattr(refi, "MAX_CODE_PATH_CHARS", 1000)
    with pytest.raises(DataError, match="code paths .* more than 1000 characters") as info:
        read_qdc(book)
    assert "Parent/Enfant" in info.value.message_fr


def test_codebook_without_namespace_and_wrong_root(tmp_path):
    path = tmp_path / "grille.qdc"
    path.write_text(CODEBOOK.replace(' xmlns="urn:QDA-XML:codebook:1.0"', ""), encoding="utf-8")
    assert [w.key for w in read_qdc(path).warnings] == ["qual.warn.no_namespace"]
    path.write_text(qde(), encoding="utf-8")
    with pytest.raises(DataError, match="root element is Project, not CodeBook"):
        read_qdc(path)


def test_warnings_render_in_french_with_localised_counts(tmp_path):
    path = make_qdpx(tmp_path, qde(text_source("board.txt")), {"sources/board.txt": b"x"})
    found = warning(read_qdpx(path), "qual.warn.bare_path")
    assert found.render("fr").startswith("1 chemin(s) de source sont de simples noms")
    assert str(found) == found.message == found.render("en")


def test_reader_does_not_change_the_file(tmp_path):
    path = make_qdpx(tmp_path, qde(text_source(f"internal://{S1}.txt", selection(1, 0, 3))),
                     {f"sources/{S1}.txt": TEXT.encode()})
    before = path.read_bytes()
    read_qdpx(path).segments()
    assert path.read_bytes() == before


def test_frames_have_the_documented_columns(tmp_path):
    project = read_qdpx(_cases_project(tmp_path))
    assert list(project.codes.columns) == ["code_id", "name", "parent_id", "path", "depth",
                                           "color", "description", "is_codable"]
    assert list(project.sources.columns)[:7] == ["source_id", "name", "kind", "path", "text",
                                                 "n_chars", "origin"]
    assert list(project.selections.columns) == ["selection_id", "source_id", "start", "end",
                                                "text"]
    assert list(project.codings.columns) == ["coding_id", "selection_id", "code_id", "coder"]
    assert list(project.users.columns) == ["user_id", "name"]
    assert list(project.cases.columns) == ["case_id", "name", "description"]
    assert list(project.case_variables.columns) == ["case_id", "variable", "value"]
    assert list(project.case_sources.columns) == ["case_id", "source_id"]
    assert list(project.notes.columns) == ["note_id", "name", "text", "target_id"]
    assert isinstance(project.segments(), pd.DataFrame)


def test_project_file_with_a_byte_order_mark_or_in_utf16(tmp_path):
    text = qde(text_source(f"internal://{S1}.txt", selection(1, 0, 1)))
    for name, data in [("bom.qdpx", b"\xef\xbb\xbf" + text.encode("utf-8")),
                       ("utf16.qdpx", text.replace('encoding="UTF-8"', 'encoding="UTF-16"')
                        .encode("utf-16"))]:
        path = make_qdpx(tmp_path, data, {f"sources/{S1}.txt": TEXT.encode()}, name=name)
        project = read_qdpx(path)
        assert project.segments()["code"].tolist() == ["Écoute"], name


def test_short_representations(tmp_path):
    path = make_qdpx(tmp_path, qde(text_source("board.txt")), {"sources/board.txt": b"x"})
    assert repr(read_qdpx(path)) == ("QdaProject(origin='crafted 1.0', codes=3, sources=1, "
                                     "selections=0, codings=0, users=2, cases=0, notes=0, "
                                     "warnings=1)")
    book = tmp_path / "g.qdc"
    book.write_text(CODEBOOK, encoding="utf-8")
    assert repr(read_qdc(book)) == "QdaCodebook(origin='outil 2.0', codes=3, sets=1, warnings=0)"


def test_an_unknown_xml_encoding_is_a_syntax_error(tmp_path):
    text = qde().replace('encoding="UTF-8"', 'encoding="UTF-M"')
    with pytest.raises(DataError, match="Malformed XML at line 1.*unknown encoding"):
        read_qdpx(make_qdpx(tmp_path, text))


def test_the_readers_share_one_warning_type(tmp_path):
    import pickle

    from evalkit import ReaderWarning, ReadWarning
    from evalkit.read import ReaderWarning as SurveyWarning

    assert ReadWarning is ReaderWarning is SurveyWarning
    path = make_qdpx(tmp_path, qde(text_source("board.txt")), {"sources/board.txt": b"x"})
    found = warning(read_qdpx(path), "qual.warn.bare_path")
    assert isinstance(found, ReaderWarning)
    assert found.to_dict() == {"key": "qual.warn.bare_path", "message": found.message,
                               "params": {"examples": "board.txt", "n": 1}}
    assert pickle.loads(pickle.dumps(found)).render("fr") == found.render("fr")
