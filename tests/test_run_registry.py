"""The notebook registry, the stage registry and the run folder's naming rules."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from evalkit.errors import ArgumentError, ConfigError
from evalkit.run import load_registry
from evalkit.run.notebooks import default_notebook_dir, file_stem, split_list
from evalkit.run.rundir import RunFolder
from evalkit.run.stages import StageRegistry, stages

NOTEBOOKS = Path(__file__).parent / "notebooks"


def test_registry_lists_notebooks_in_order_with_per_site_flags():
    registry = load_registry(NOTEBOOKS)
    assert registry.names[:3] == ["hello", "site_profile", "fail_exception"]
    assert registry["site_profile"].per_site and not registry["hello"].per_site
    assert registry["hello"].title_in("fr") == "Bonjour"
    assert registry["fail_exit"].title_in("en") == "fail_exit"
    assert all(entry.path.is_file() for entry in registry)


def test_only_keeps_registry_order_and_rejects_unknown_names():
    registry = load_registry(NOTEBOOKS)
    assert [e.name for e in registry.select(["fail_exit", "hello"])] == ["hello", "fail_exit"]
    assert len(registry.select(None)) == len(registry)
    with pytest.raises(ConfigError, match="unknown notebook.*: nope .known: hello, "
                                          "site_profile"):
        registry.select(["hello", "nope"])
    assert split_list(" a, b ,,c") == ["a", "b", "c"] and split_list(None) is None


def _copy(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "nbs"
    folder.mkdir()
    shutil.copy(NOTEBOOKS / "hello.ipynb", folder / "hello.ipynb")
    (folder / "notebooks.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(("text", "message"), [
    ("notebooks:\n  - name: hello\n  - name: ghost\n", r"notebooks.yaml, line 3.*ghost.ipynb "
                                                      r"does not exist"),
    ("notebooks:\n  - name: hello\n  - name: hello\n", "listed twice"),
    ("notebooks:\n  - name: hello\n    per_site: maybe\n", "line 3.*per_site"),
    ("notebooks:\n  - name: hello\n    colour: red\n", "colour"),
])
def test_malformed_registry_is_a_located_config_error(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_registry(_copy(tmp_path, text))


def test_folder_without_registry(tmp_path):
    with pytest.raises(ConfigError, match="notebooks.yaml is missing"):
        load_registry(tmp_path)


def test_default_folder_prefers_the_package_data(tmp_path, monkeypatch):
    # In a source checkout the project's notebooks/ folder is used ...
    assert default_notebook_dir() == Path(__file__).resolve().parents[1] / "notebooks"
    # ... and an installed package's own copy (evalkit/notebooks) wins when it exists.
    import evalkit.run.notebooks as module

    fake_package = tmp_path / "site-packages" / "evalkit"
    (fake_package / "run").mkdir(parents=True)
    (fake_package / "notebooks").mkdir()
    (fake_package / "notebooks" / "notebooks.yaml").write_text("notebooks: []\n")
    monkeypatch.setattr(module, "__file__", str(fake_package / "run" / "notebooks.py"))
    assert module.default_notebook_dir() == fake_package / "notebooks"
    (fake_package / "notebooks" / "notebooks.yaml").unlink()
    with pytest.raises(ConfigError, match="no notebook folder found"):
        module.default_notebook_dir()


def test_file_stems_are_safe():
    assert file_stem("site_profile", "Val-d'Or / Nord", "fr") == "site_profile.Val-d-Or-Nord.fr"
    assert file_stem("hello", None, "en") == "hello.en"


def test_stage_registry_resolves_lazily_and_accepts_plugins():
    assert callable(stages.get("prepare"))
    custom = stages.with_overrides({"prepare": lambda ctx: {"status": "ok"}, "brief": None})
    assert custom.get("brief") is None and custom.get("prepare")(None) == {"status": "ok"}
    assert stages.get("brief") is not None  # the shared registry is unchanged
    with pytest.raises(ArgumentError, match="name must be one of validate, prepare"):
        StageRegistry({}).register("notebooks", None)


def test_run_ids_never_collide(tmp_path):
    clock = lambda: dt.datetime(2026, 11, 22, 9, 30, 0)  # noqa: E731
    first = RunFolder.create(tmp_path, clock=clock)
    second = RunFolder.create(tmp_path, clock=clock)
    assert (first.run_id, second.run_id) == ("20261122-093000", "20261122-093000-2")
    assert first.path.name == ".20261122-093000.incomplete" and first.path.is_dir()
    assert (first.path / ".work").stat().st_mode & 0o777 == 0o700
    first.publish()
    third = RunFolder.create(tmp_path, clock=clock)
    assert third.run_id == "20261122-093000-3"
    second.discard()
    assert not second.path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".20261122-093000-3.incomplete",
                                                          "20261122-093000"]
