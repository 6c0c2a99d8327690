"""YAML configuration files are read within limits (size, depth, aliases), located, and refused
with a clear message before anything is built from them."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from evalkit.config._yaml import LIMITS, check_limits, load_yaml
from evalkit.errors import ConfigError


def laughs(levels: int, width: int = 10) -> str:
    """The "billion laughs" file: each level lists ``width`` aliases of the level below."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nstudy: *l{levels - 1}\n"


def refusal(text: str, lang: str = "en") -> str:
    with pytest.raises(ConfigError) as caught:
        load_yaml(Path("study.yaml"), text=text)
    assert caught.value.exit_code == 2
    return caught.value.render(lang)


def test_alias_bomb_is_refused_at_once_within_little_memory():
    text = laughs(9)  # 10^9 values once expanded, from 400 bytes
    assert len(text) < 1000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    message = refusal(text)
    assert time.process_time() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB
    assert message.startswith("study.yaml, line 6: the file's aliases (*name) expand to more "
                              "than 1,000,000 values")
    assert "→" in message  # what to do
    french = refusal(text, "fr")
    assert french.startswith("study.yaml, ligne 6 : les alias du fichier")
    assert "plus de 1\u00a0000\u00a0000 valeurs" in french


def test_a_few_levels_of_aliases_are_fine():
    data = load_yaml(Path("s.yaml"), text=laughs(3)).data  # 1,000 values
    assert len(data["study"]) == 10 and data["study"][0][0] == ["lol"] * 10


@pytest.mark.parametrize("text, words", [
    ("a: &a [1, *a]\n", "study.yaml, line 1: the alias *a refers to the mapping or list that "
                        "contains it"),
    ("a: &a {b: {c: *a}}\n", "the alias *a refers to"),
    ("[" * 100_000 + "]" * 100_000, "study.yaml, line 1: the file nests mappings and lists "
                                    "more than 64 levels deep"),
    ("".join(f"{'  ' * i}k{i}:\n" for i in range(70)) + "  " * 70 + "v\n",
     "study.yaml, line 65: the file nests"),
    # shallow text, deep once expanded: each anchor nests the previous one 8 levels down
    ("a0: &a0 x\n" + "".join(f"a{i}: &a{i} [[[[[[[[*a{i - 1}]]]]]]]]\n" for i in range(1, 10)),
     "more than 64 levels deep (aliases expanded)"),
    ("a: &a x\nb: [" + ", ".join(["*a"] * 10_001) + "]\n", "uses more than 10,000 aliases"),
    ("a: *nowhere\n", "study.yaml, line 1: invalid YAML syntax: found undefined alias"),
])
def test_limits_and_aliases(text, words):
    assert words in refusal(text)


def test_size_limit(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_bytes(b"# " + b"x" * (LIMITS["bytes"] + 10) + b"\n")
    with pytest.raises(ConfigError, match=r"codebook.yaml: the file holds 16,777,229 bytes; "
                                          r"evalkit reads configuration files of at most"):
        load_yaml(path)
    with pytest.raises(ConfigError, match="more than 3 values"):
        check_limits("[1, 2, 3]", Path("x.yaml"), {"nodes": 3})


def test_keys_are_located_as_the_data_hold_them():
    text = "values:\n  2: two\n  0x1F: hex\n  yes: true-key\nbase: &b {a: 1}\nx:\n  <<: *b\n  a: 2\n"
    located = load_yaml(Path("c.yaml"), text=text)
    assert located.data == {"values": {2: "two", 31: "hex", True: "true-key"},
                            "base": {"a": 1}, "x": {"a": 2}}
    assert located.line_of(("values", 31)) == 3 and located.line_of(("values", True)) == 4
    assert located.line_of(("x", "a")) == 8  # a merge key is not a repeated key


def test_repeated_key_is_located_in_both_languages():
    with pytest.raises(ConfigError) as caught:
        load_yaml(Path("study.yaml"), text="a: 1\nb: 2\na: 3\n")
    assert caught.value.render("en").startswith("study.yaml, line 3: the key `a` appears twice "
                                                "(first at line 1)")
    assert caught.value.render("fr").startswith("study.yaml, ligne 3 : la clé `a` apparaît "
                                                "deux fois")


def test_a_file_parsed_again_is_the_same_and_follows_its_text_and_the_limits(tmp_path,
                                                                             monkeypatch):
    # Parses are kept by path, text and limits: the caller owns its copy, an edited file is
    # parsed again, and lower limits still refuse a file parsed before.
    path = tmp_path / "study.yaml"
    path.write_text("a:\n  b:\n    c: 1\n", encoding="utf-8")
    first = load_yaml(path)
    first.data["a"]["b"]["c"] = 99
    again = load_yaml(path)
    assert again.data == {"a": {"b": {"c": 1}}} and again.lines == first.lines
    path.write_text("a:\n  b:\n    c: 2\n", encoding="utf-8")
    assert load_yaml(path).data == {"a": {"b": {"c": 2}}}
    monkeypatch.setitem(LIMITS, "depth", 2)
    with pytest.raises(ConfigError):
        load_yaml(path)
