"""YAML loading that remembers where each key sits, so errors can name the line.

PyYAML is used in safe mode only; a mapping that repeats a key is refused (PyYAML would silently
keep the last value, which hides typos in configuration files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evalkit.errors import ConfigError

#: libyaml's C parser when PyYAML was built with it (same safe semantics, much faster).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class LocatedYaml:
    """A parsed YAML document and the line (1-based) of every key and item in it."""

    data: Any
    path: Path
    lines: dict[tuple, int] = field(default_factory=dict)

    def line_of(self, loc: tuple) -> int | None:
        """The line of ``loc`` (a tuple of keys and indices), or of its nearest parent."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)


def _walk(node: yaml.Node, loc: tuple, lines: dict[tuple, int], path: Path) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag.endswith(":int"):
                key = int(key)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ConfigError.from_catalogue(
                    "study.duplicate_key", where=f"{path.name}, line {line}",
                    key=".".join(map(str, (*loc, key))), first=seen[key],
                )
            seen[key] = line
            lines[(*loc, key)] = line
            if isinstance(key, int):
                lines.setdefault((*loc, str(key)), line)
            _walk(value_node, (*loc, key), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*loc, index)] = item.start_mark.line + 1
            _walk(item, (*loc, index), lines, path)


def load_yaml(path: Path, *, text: str | None = None) -> LocatedYaml:
    """Parse ``path`` (or ``text`` attributed to it) with line numbers; errors name the line."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ConfigError.from_catalogue("study.file_missing", where=str(path)) from None
        except UnicodeDecodeError as error:
            raise ConfigError.from_catalogue(
                "study.not_utf8", where=str(path), position=error.start
            ) from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else "?"
        raise ConfigError.from_catalogue(
            "study.yaml_syntax", where=f"{path.name}, line {line}",
            problem=(error.problem or str(error)).strip(),
        ) from None
    except yaml.YAMLError as error:
        raise ConfigError.from_catalogue(
            "study.yaml_syntax", where=path.name, problem=str(error).strip()
        ) from None
    lines: dict[tuple, int] = {}
    if node is not None:
        _walk(node, (), lines, path)
    return LocatedYaml(data=data, path=path, lines=lines)
