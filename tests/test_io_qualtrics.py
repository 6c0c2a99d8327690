"""Reading Qualtrics exports: three header rows, non-responses and identifying columns left out."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest

from evalkit import DataError
from evalkit.read import detect_format, read_source

COLUMNS = [
    ("StartDate", "Start Date", {"ImportId": "startDate", "timeZone": "America/Toronto"}),
    ("EndDate", "End Date", {"ImportId": "endDate", "timeZone": "America/Toronto"}),
    ("Status", "Response Type", {"ImportId": "status"}),
    ("IPAddress", "IP Address", {"ImportId": "ipAddress"}),
    ("Progress", "Progress", {"ImportId": "progress"}),
    ("Duration (in seconds)", "Duration (in seconds)", {"ImportId": "duration"}),
    ("Finished", "Finished", {"ImportId": "finished"}),
    ("RecordedDate", "Recorded Date", {"ImportId": "recordedDate", "timeZone": "America/Toronto"}),
    ("ResponseId", "Response ID", {"ImportId": "_recordId"}),
    ("RecipientLastName", "Recipient Last Name", {"ImportId": "recipientLastName"}),
    ("RecipientFirstName", "Recipient First Name", {"ImportId": "recipientFirstName"}),
    ("RecipientEmail", "Recipient Email", {"ImportId": "recipientEmail"}),
    ("ExternalReference", "External Data Reference", {"ImportId": "externalDataReference"}),
    ("LocationLatitude", "Location Latitude", {"ImportId": "locationLatitude"}),
    ("LocationLongitude", "Location Longitude", {"ImportId": "locationLongitude"}),
    ("DistributionChannel", "Distribution Channel", {"ImportId": "distributionChannel"}),
    ("UserLanguage", "User Language", {"ImportId": "userLanguage"}),
    ("site", "Dans quel point de service recevez-vous des services ?", {"ImportId": "QID1"}),
    ("Q2_1", "Dans quelle mesure êtes-vous d’accord ?\n- On m’a demandé mon avis",
     {"ImportId": "QID2_1"}),
    ("Q2_2", "Dans quelle mesure êtes-vous d’accord ?\n- Mon avis a changé quelque chose",
     {"ImportId": "QID2_2"}),
    ("Q3", "Qu’est-ce qui a « fait une différence » pour vous ?", {"ImportId": "QID3_TEXT"}),
]


def response(status="IP Address", channel="anonymous", *, rid, site="Estrie", q21="4", q22="2",
             q3="", ip="24.48.0.1", email=""):
    return {
        "StartDate": "2026-03-02 10:01:12", "EndDate": "2026-03-02 10:09:40",
        "Status": status, "IPAddress": ip, "Progress": "100", "Duration (in seconds)": "508",
        "Finished": "True", "RecordedDate": "2026-03-02 10:09:41", "ResponseId": rid,
        "RecipientLastName": "Tremblay" if email else "", "RecipientFirstName": "Josée" if email
        else "", "RecipientEmail": email, "ExternalReference": "", "LocationLatitude": "45.40",
        "LocationLongitude": "-71.89", "DistributionChannel": channel, "UserLanguage": "FR-CA",
        "site": site, "Q2_1": q21, "Q2_2": q22, "Q3": q3,
    }


RESPONSES = [
    response("Survey Preview", "preview", rid="R_prev1", ip=""),
    response(rid="R_001", q3="L’écoute, vraiment.\nEt la « patience » de l’équipe."),
    response("Spam", rid="R_spam", q3="http://exemple.invalid"),
    response(rid="R_002", site="Montréal", q21="8", q22="9", email="josee@exemple.ca"),
    response("Survey Test", "test", rid="R_test1", ip=""),
    response(rid="R_003", site="Québec", q21="5", q22="5", q3="Rien à dire ; merci !"),
]


def write_export(path, responses=RESPONSES, *, columns=COLUMNS, encoding="utf-8-sig",
                 delimiter=","):
    """Write an export as Qualtrics does: names, question texts, import ids, then responses."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([name for name, _, _ in columns])
    writer.writerow([text for _, text, _ in columns])
    writer.writerow([json.dumps(import_id) for _, _, import_id in columns])
    for r in responses:
        writer.writerow([r[name] for name, _, _ in columns])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.fixture
def export(tmp_path):
    return write_export(tmp_path / "Enquête usagers_2 mars 2026_10.15.csv")


def test_a_qualtrics_csv_is_recognised_by_its_header_rows(export, tmp_path):
    assert detect_format(export) == "qualtrics"
    plain = tmp_path / "plain.csv"
    plain.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    assert detect_format(plain) == "csv"


def test_previews_tests_and_spam_are_left_out_and_counted(export):
    before = hashlib.sha256(export.read_bytes()).hexdigest()
    source = read_source(export, display_path="qualtrics.csv")
    assert hashlib.sha256(export.read_bytes()).hexdigest() == before
    assert source.data["ResponseId"].tolist() == ["R_001", "R_002", "R_003"]
    assert source.dropped_rows == {"preview": 1, "test": 1, "spam": 1}
    assert source.provenance.dropped_rows == {"preview": 1, "test": 1, "spam": 1}
    keys = [w.key for w in source.warnings]
    assert keys == ["io.qualtrics_dropped_preview", "io.qualtrics_dropped_test",
                    "io.qualtrics_dropped_spam", "io.qualtrics_identifying_dropped"]
    assert source.warnings[0] == "Survey preview responses left out: 1."


def test_identifying_columns_are_left_out_and_listed(export):
    source = read_source(export)
    identifying = ["IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                   "LocationLatitude", "LocationLongitude"]
    assert source.dropped_columns == identifying
    assert list(source.provenance.dropped_columns) == identifying
    assert not set(identifying) & set(source.data.columns)
    assert "ExternalReference" in source.data.columns  # kept: studies link respondents by it
    flat = source.data.astype("str").to_numpy().ravel().tolist()
    assert "josee@exemple.ca" not in flat and "24.48.0.1" not in flat


def test_question_texts_become_variable_labels(export):
    source = read_source(export)
    labels = source.variable_labels
    assert labels["Q2_1"] == "Dans quelle mesure êtes-vous d’accord ?\n- On m’a demandé mon avis"
    assert labels["Q3"] == "Qu’est-ce qui a « fait une différence » pour vous ?"
    assert labels["Status"] == "Response Type"
    assert "IPAddress" not in labels


def test_lines_count_the_three_header_rows_and_multiline_cells(export):
    source = read_source(export)
    # header rows: names on line 1, question texts on lines 2-4 (two of them span two lines),
    # import ids on line 5; the preview response is on line 6.
    assert source.lines.tolist() == [7, 10, 12]
    assert source.provenance.header_rows == 3
    assert source.data["Q3"].tolist()[0] == "L’écoute, vraiment.\nEt la « patience » de l’équipe."
    assert source.data["site"].tolist() == ["Estrie", "Montréal", "Québec"]


def test_data_starts_on_line_4_with_single_line_questions(tmp_path):
    columns = [(name, text.replace("\n", " "), i) for name, text, i in COLUMNS]
    path = write_export(tmp_path / "simple.csv", RESPONSES[1:2], columns=columns)
    source = read_source(path)
    assert source.lines.tolist() == [4]
    assert source.provenance.format == "qualtrics"


def test_numeric_status_codes_and_tab_separated_utf16_export(tmp_path):
    responses = [response("0", rid="R_1"), response("1", "preview", rid="R_2"),
                 response("8", rid="R_3"), response("9", rid="R_4"), response("2", rid="R_5"),
                 response("16", "offline", rid="R_6")]
    path = write_export(tmp_path / "export.tsv", responses, encoding="utf-16", delimiter="\t")
    source = read_source(path)
    assert source.provenance.format == "qualtrics"
    assert source.provenance.delimiter == "\t" and source.provenance.encoding == "utf-16"
    assert source.data["ResponseId"].tolist() == ["R_1", "R_6"]
    assert source.dropped_rows == {"preview": 2, "test": 1, "spam": 1}


def test_values_stay_as_exported(export):
    source = read_source(export)
    assert source.data["Q2_1"].tolist() == ["4", "8", "5"]
    assert source.data["Progress"].tolist() == ["100"] * 3


def test_a_declared_qualtrics_file_without_its_header_rows_is_an_error(tmp_path):
    path = tmp_path / "court.csv"
    path.write_text("id,q1\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="three header rows") as caught:
        read_source(path, format="qualtrics", display_path="court.csv")
    assert caught.value.where == "court.csv"
    assert "format: csv" in caught.value.hint


def test_declared_csv_keeps_the_header_rows_as_data(export):
    source = read_source(export, format="csv")
    assert source.provenance.format == "csv"
    assert source.data["ResponseId"].iloc[0] == "Response ID"
    assert source.provenance.detected["format"] == "declared"
