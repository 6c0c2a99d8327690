"""Keys and keyed pseudonyms: where keys may live, and what pseudonyms guarantee."""

from __future__ import annotations

import hashlib
import hmac
import stat
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import (
    ArgumentError,
    ConfigError,
    DemoKeyWarning,
    PrivacyError,
    PseudonymKey,
    collision_probability,
    generate_key,
    load_key,
    load_study,
    pseudonymise,
    pseudonymise_frame,
    write_key_file,
)
from evalkit.datasets import make_demo_study

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))

STUDY = """\
study: keys-test
title: {{fr: Essai, en: Test}}
sources:
  survey: [{{path: survey.csv}}]
codebook: codebook.yaml
roles: {{id: respondent_id, site: site}}
privacy:
  pseudonymise: [respondent_id]
{key}
"""


def write_study(folder, key_line=""):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yaml").write_text(STUDY.format(key=key_line), encoding="utf-8")
    return folder / "study.yaml"


# -- keys ---------------------------------------------------------------------------------------
def test_demo_key_is_accepted_with_a_warning(tmp_path):
    study = make_demo_study(tmp_path / "demo", n_sites=2, n_per_site=10, formats="plain")
    with pytest.warns(DemoKeyWarning, match="demo key"):
        key = load_key(load_study(study))
    assert key.demo
    assert key.secret == hashlib.sha256(b"evalkit demo key").digest()


def test_key_file_inside_a_real_study_folder_is_refused(tmp_path):
    study = write_study(tmp_path / "study", "  key: {file: keys/study.key}")
    (tmp_path / "study" / "keys").mkdir()
    (tmp_path / "study" / "keys" / "study.key").write_text(generate_key() + "\n")
    with pytest.raises(PrivacyError, match="inside the study folder") as error:
        load_key(load_study(study))
    assert "Move it out of the study folder" in error.value.render("en")


def test_key_file_outside_the_study_folder_is_loaded(tmp_path):
    key_file = write_key_file(tmp_path / "secret.key")
    study = write_study(tmp_path / "study", f"  key: {{file: {key_file}}}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        key = load_key(load_study(study))
    hex_line = [x for x in key_file.read_text().splitlines() if not x.startswith("#")][0]
    assert key.secret == bytes.fromhex(hex_line)
    assert not key.demo


def test_relative_key_path_outside_the_folder_is_loaded(tmp_path):
    write_key_file(tmp_path / "secret.key")
    study = write_study(tmp_path / "study", "  key: {file: ../secret.key}")
    assert len(load_key(load_study(study)).secret) == 32


def test_missing_key_says_how_to_make_one(tmp_path):
    study = write_study(tmp_path / "study")
    with pytest.raises(ConfigError) as error:
        load_key(load_study(study))
    text = error.value.render("en")
    assert "names no key" in text and "respondent_id" in text
    assert "evalkit keygen --out PATH" in text
    assert "evalkit keygen --out CHEMIN" in error.value.render("fr")


def test_no_key_is_fine_when_nothing_is_pseudonymised(tmp_path):
    folder = tmp_path / "study"
    study = write_study(folder)
    study.write_text(study.read_text().replace("  pseudonymise: [respondent_id]\n", "  {}\n")
                     .replace("privacy:\n  {}\n", ""))
    assert load_key(load_study(study)) is None


def test_key_from_environment(tmp_path, monkeypatch):
    study = write_study(tmp_path / "study", "  key: {env: EVALKIT_TEST_KEY}")
    monkeypatch.delenv("EVALKIT_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match="EVALKIT_TEST_KEY") as error:
        load_key(load_study(study))
    assert "evalkit keygen" in error.value.render("en")
    monkeypatch.setenv("EVALKIT_TEST_KEY", KEY.hex())
    key = load_key(load_study(study))
    assert key.secret == KEY and key.source == "env:EVALKIT_TEST_KEY"


@pytest.mark.parametrize("value", ["not hex", "abcd", "zz" * 32])
def test_malformed_keys_are_refused_without_echoing_them(tmp_path, monkeypatch, value):
    study = write_study(tmp_path / "study", "  key: {env: EVALKIT_TEST_KEY}")
    monkeypatch.setenv("EVALKIT_TEST_KEY", value)
    with pytest.raises(ConfigError, match="at least 128 bits") as error:
        load_key(load_study(study))
    assert value not in error.value.render("en")


def test_key_never_shows_in_repr_or_errors():
    key = PseudonymKey(KEY, source="env:X")
    for text in (repr(key), str(key), f"{key}"):
        assert KEY.hex() not in text and "secret" not in text
    assert KEY.hex() in key.text_forms()
    assert len(key.fingerprint) == 16 and key.fingerprint not in KEY.hex()
    with pytest.raises(ArgumentError) as error:
        pseudonymise(pd.Series(["a"]), key="0123456789abcdef")
    assert "0123456789abcdef" not in str(error.value)


def test_write_key_file_is_private_and_never_overwrites(tmp_path):
    path = write_key_file(tmp_path / "k.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="already exists"):
        write_key_file(path)
    assert path.read_bytes() == before


def test_write_key_file_refuses_a_study_folder(tmp_path):
    write_study(tmp_path / "study")
    (tmp_path / "study" / "sub").mkdir()
    for target in (tmp_path / "study" / "k.key", tmp_path / "study" / "sub" / "k.key"):
        with pytest.raises(ConfigError, match="inside a study folder"):
            write_key_file(target)
        assert not target.exists()


def test_generated_keys_are_256_bit_and_distinct():
    keys = {generate_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(len(bytes.fromhex(k)) == 32 for k in keys)


def test_keygen_command(cli, tmp_path):
    printed = cli("keygen")
    assert printed.returncode == 0 and len(bytes.fromhex(printed.stdout.strip())) == 32
    written = cli("keygen", "--out", str(tmp_path / "k.key"))
    assert written.returncode == 0, written.stderr
    assert stat.S_IMODE((tmp_path / "k.key").stat().st_mode) == 0o600
    assert "Key written to" in written.stderr
    again = cli("keygen", "--out", str(tmp_path / "k.key"))
    assert again.returncode == 2 and "already exists" in again.stderr
    write_study(tmp_path / "study")
    inside = cli("keygen", "--out", str(tmp_path / "study" / "k.key"))
    assert inside.returncode == 2 and "inside a study folder" in inside.stderr


# -- pseudonyms ---------------------------------------------------------------------------------
def reference_pseudonym(value: str, key: bytes, length: int = 12) -> str:
    """Independent computation: hmac module + RFC 4648 base32 mapped to Crockford's alphabet."""
    import base64

    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).digest()
    b32 = base64.b32encode(digest).decode()
    table = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    return "P" + b32.translate(table)[:length]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30).filter(lambda s: s.strip()), min_size=1,
                max_size=20))
def test_pseudonyms_match_an_independent_hmac(values):
    import unicodedata

    out = pseudonymise(pd.Series(values), key=KEY)
    expected = [reference_pseudonym(unicodedata.normalize("NFC", v).strip(), KEY) for v in values]
    assert out.tolist() == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.from_regex(r"[A-Z]-[0-9]{4}", fullmatch=True), min_size=1, max_size=30))
def test_pseudonyms_are_stable_and_key_dependent(values):
    series = pd.Series(values)
    a, b = pseudonymise(series, key=KEY), pseudonymise(series, key=KEY)
    assert a.tolist() == b.tolist()
    other = pseudonymise(series, key=OTHER)
    assert not set(a) & set(other)
    assert (series.duplicated() == a.duplicated()).all()


def test_form_of_pseudonyms():
    out = pseudonymise(pd.Series(["x", "y"]), key=KEY, prefix="R-", length=10)
    assert all(p.startswith("R-") and len(p) == 12 for p in out)
    assert all(set(p[2:]) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for p in out)
    assert pseudonymise(pd.Series(["x"]), key=KEY, length=20).iloc[0] == \
        reference_pseudonym("x", KEY, 20)


def test_missing_and_blank_identifiers_stay_missing():
    series = pd.Series(["A-1", None, np.nan, "  ", "A-1"], index=list("abcde"), name="id")
    before = series.copy()
    out = pseudonymise(series, key=KEY)
    pd.testing.assert_series_equal(series, before)
    assert out.isna().tolist() == [False, True, True, True, False]
    assert out.index.tolist() == list("abcde") and out.name == "id"


def test_normalisation_of_identifiers():
    out = pseudonymise(pd.Series([1001, 1001.0, "1001", " 1001 ", "Cafe\u0301", "Café"],
                                 dtype=object), key=KEY)
    assert out.iloc[0] == out.iloc[1] == out.iloc[2] == out.iloc[3]
    assert out.iloc[4] == out.iloc[5]


def test_casefold_is_respected():
    series = pd.Series(["Jo@Example.org", "jo@example.org"])
    assert pseudonymise(series, key=KEY).nunique() == 2
    assert pseudonymise(series, key=KEY, casefold=True).nunique() == 1


def test_no_collision_on_a_million_identifiers():
    ids = pd.Series(np.char.add("ID", np.arange(1_000_000).astype(str)))
    out = pseudonymise(ids, key=KEY)
    assert out.nunique() == 1_000_000
    assert collision_probability(1_000_000) < 1e-6
    assert out.iloc[123456] == reference_pseudonym("ID123456", KEY)


def test_collision_probability_is_the_birthday_bound():
    # Exact for n = 2: 1 / 2^60.
    assert collision_probability(2) == pytest.approx(2.0 ** -60)
    assert collision_probability(1_000_000, length=10) == pytest.approx(4.44e-4, rel=0.01)


def test_pseudonymise_frames_copy_is_its_own_whatever_is_changed_in_it_later():
    # The copy may share memory with the data (pandas' copy-on-write): a change to the copy,
    # in place or not, never reaches the data, nor a change to the data the copy.
    data = pd.DataFrame({"id": ["A-1", "A-2"], "score": [3.0, 4.0], "note": ["x", "y"]})
    before = data.copy(deep=True)
    out = pseudonymise_frame(data, columns=["id"], key=KEY)
    out.loc[0, "score"] = 99.0
    out["note"] = out["note"].str.upper()
    out.iloc[1, 2] = "changed"
    pd.testing.assert_frame_equal(data, before)
    data.loc[1, "score"] = -1.0
    assert out.loc[1, "score"] == 4.0
    assert out["id"].str.startswith("P").all() and out.loc[0, "score"] == 99.0


def test_pseudonymise_frame_uses_the_codebook_and_leaves_data_untouched():
    from evalkit.config.codebook import Codebook

    codebook = Codebook.model_validate({"variables": {
        "email": {"type": "id", "label": {"fr": "Courriel", "en": "E-mail"}, "casefold": True},
        "id": {"type": "id", "label": {"fr": "Id", "en": "Id"}},
    }})
    data = pd.DataFrame({"id": ["A", "a"], "email": ["Jo@X.org", "jo@x.org"], "score": [1, 2]})
    before = data.copy()
    out = pseudonymise_frame(data, columns=["id", "email"], key=KEY, codebook=codebook)
    pd.testing.assert_frame_equal(data, before)
    assert out["id"].nunique() == 2 and out["email"].nunique() == 1
    assert out["score"].tolist() == [1, 2]
    # The same person gets the same pseudonym in every column.
    same = pseudonymise_frame(pd.DataFrame({"a": ["X"], "b": ["X"]}), columns=["a", "b"], key=KEY)
    assert same.loc[0, "a"] == same.loc[0, "b"]


def test_pseudonymise_bad_arguments():
    with pytest.raises(ArgumentError, match="values must be a pandas Series"):
        pseudonymise(["a"], key=KEY)
    with pytest.raises(ArgumentError, match="length must be an integer ≥ 10"):
        pseudonymise(pd.Series(["a"]), key=KEY, length=4)
    with pytest.raises(ArgumentError, match="key must be"):
        pseudonymise(pd.Series(["a"]), key=b"short")
    with pytest.raises(ArgumentError, match="columns names columns"):
        pseudonymise_frame(pd.DataFrame({"a": [1]}), columns=["b"], key=KEY)
