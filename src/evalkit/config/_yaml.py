"""YAML loading that remembers where each key sits, so errors can name the line.

PyYAML is used in safe mode only; a mapping that repeats a key is refused (PyYAML would silently
keep the last value, which hides typos in configuration files). Before anything is built, one
streaming pass over the parser's events checks the file against :data:`LIMITS`: its size, how
deeply it nests, how many aliases it uses and how many values they expand to. A few kilobytes
of nested aliases (the "billion laughs" file) would otherwise expand to gigabytes, and a file
nested thousands of levels deep crashes libyaml's composer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evalkit.errors import ConfigError, Place
from evalkit.i18n import format_integer

__all__ = ["LIMITS", "LocatedYaml", "compose_yaml", "load_yaml"]

#: libyaml's C parser when PyYAML was built with it (same safe semantics, much faster).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: What a configuration file may hold. A study.yaml is a few hundred values and a codebook of a
#: large survey tens of thousands; these bounds are far above both and far below what would
#: exhaust a machine's memory.
LIMITS: dict[str, int] = {
    "bytes": 16 * 1024 * 1024,  # the file's size
    "depth": 64,                # nesting of mappings and lists, aliases expanded
    "aliases": 10_000,          # uses of an alias (*name)
    "nodes": 1_000_000,         # values, keys and collections, aliases expanded
}

#: The files parsed last in this process, by absolute path, text (the whole text: a file whose
#: text changed is parsed again) and :data:`LIMITS`. A notebook's kernel, forked from a
#: template that loaded the study (``evalkit.present.session.prime``), finds its study and
#: codebook here.
_PARSED: dict[tuple, LocatedYaml] = {}
_PARSED_KEPT = 8

_STARTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


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


def _refuse(key: str, path: Path, event: Any = None, **params: Any) -> ConfigError:
    line = event.start_mark.line + 1 if event is not None and event.start_mark else None
    shown = {k: format_integer(v, "en") if isinstance(v, int) else v for k, v in params.items()}
    error = ConfigError.from_catalogue(key, where=Place(path.name, line=line), **shown)
    if any(isinstance(v, int) for v in params.values()):  # French digit grouping: 1 000 000
        french = ConfigError.from_catalogue(key, **{
            k: format_integer(v, "fr") if isinstance(v, int) else v for k, v in params.items()})
        error.message_fr, error.hint_fr = french.message_fr, french.hint_fr
    return error


def check_limits(text: str, path: Path, limits: dict[str, int] | None = None) -> None:
    """Refuse ``text`` when it exceeds :data:`LIMITS`, before anything is built from it.

    One pass over the parser's events, which holds no more than one nesting level at a time:
    each anchored node's size and depth (aliases expanded) is remembered when it ends, so an
    alias counts for everything it stands for, and the pass stops at the first limit crossed.

    Raises
    ------
    evalkit.errors.ConfigError
        Naming the limit, the line where it was crossed and what to do (exit 2).
    yaml.YAMLError
        The text is not valid YAML (the caller turns it into a located error).
    """
    limits = {**LIMITS, **(limits or {})}
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits["bytes"]:
        raise _refuse("study.yaml_too_large", path, size=size, limit=limits["bytes"])
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, depth) of what it names
    stack: list[list] = []  # open collections: [anchor, nodes, depth below]
    expanded = aliases = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, _ENDS):
            anchor, nodes, below = stack.pop()
            if anchor:
                anchors[anchor] = (nodes, below + 1)
            if stack:
                stack[-1][1] += nodes
                stack[-1][2] = max(stack[-1][2], below + 1)
            continue
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > limits["aliases"]:
                raise _refuse("study.yaml_aliases", path, event, limit=limits["aliases"])
            if event.anchor in {entry[0] for entry in stack}:
                raise _refuse("study.yaml_recursive_alias", path, event, name=event.anchor)
            nodes, depth = anchors.get(event.anchor, (1, 0))  # unknown: the composer says so
        elif isinstance(event, yaml.ScalarEvent):
            nodes, depth = 1, 0
            if event.anchor:
                anchors[event.anchor] = (1, 0)
        elif isinstance(event, _STARTS):
            stack.append([event.anchor, 1, 0])
            expanded += 1
            if len(stack) > limits["depth"]:
                raise _refuse("study.yaml_too_deep", path, event, limit=limits["depth"])
            continue
        else:  # stream and document events
            continue
        expanded += nodes
        if expanded > limits["nodes"]:
            raise _refuse("study.yaml_expansion", path, event, limit=limits["nodes"])
        if len(stack) + depth > limits["depth"]:
            raise _refuse("study.yaml_too_deep", path, event, limit=limits["depth"])
        if stack:
            stack[-1][1] += nodes
            stack[-1][2] = max(stack[-1][2], depth)


def _walk(root: yaml.Node, lines: dict[tuple, int], path: Path) -> None:
    """Record the line of every key and item; refuse repeated keys.

    A node reached again through an alias is not walked twice: what lies under an alias is
    located at the alias itself. Nodes are walked in the order of the document, so that an
    anchor (always written before its aliases) is walked where it is written.
    """
    seen_nodes: set[int] = set()
    todo: list[tuple[yaml.Node, tuple]] = [(root, ())]
    while todo:
        node, loc = todo.pop()
        lines.setdefault(loc, node.start_mark.line + 1)
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            children = []
            for key_node, value_node in node.value:
                key = _key(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise ConfigError.from_catalogue(
                        "study.duplicate_key", where=Place(path.name, line=line),
                        key=".".join(map(str, (*loc, key))), first=seen[key],
                    )
                seen[key] = line
                lines[(*loc, key)] = line
                if isinstance(key, int):
                    lines.setdefault((*loc, str(key)), line)
                children.append((value_node, (*loc, key)))
            todo.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines[(*loc, index)] = item.start_mark.line + 1
            todo.extend((item, (*loc, index)) for index, item in reversed(list(
                enumerate(node.value))))


def _key(node: yaml.Node) -> Any:
    """A mapping key as the data hold it (``1``, ``yes`` → True, ``0x1F`` → 31), so that
    locations match the data's keys; the text itself when it cannot be built."""
    if isinstance(node, yaml.ScalarNode) and not node.tag.endswith(":str"):
        try:
            key = yaml.constructor.SafeConstructor().construct_object(node)
            hash(key)
            return key
        except (yaml.YAMLError, TypeError, ValueError):
            pass
    return node.value if isinstance(node.value, str) else f"line {node.start_mark.line + 1}"


def _syntax_error(error: yaml.YAMLError, path: Path) -> ConfigError:
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        return ConfigError.from_catalogue(
            "study.yaml_syntax", where=Place(path.name, line=mark.line + 1 if mark else None),
            problem=(error.problem or str(error)).strip())
    return ConfigError.from_catalogue("study.yaml_syntax", where=path.name,
                                      problem=str(error).strip())


def compose_yaml(text: str, path: Path) -> tuple[yaml.Node | None, Any]:
    """The node tree and the data of ``text``, within :data:`LIMITS`, in one parse.

    The node tree is returned as composed (before merge keys ``<<`` are applied), for callers
    that locate keys themselves.

    Raises
    ------
    evalkit.errors.ConfigError
        Invalid YAML (with its line) or a file beyond the limits.
    """
    loader = _LOADER(text)
    try:
        check_limits(text, path)
        node = loader.get_single_node()
        if node is None:
            return None, None
        data = _LOADER(text).get_single_data() if _has_merge(node) else \
            loader.construct_document(node)
    except yaml.YAMLError as error:
        raise _syntax_error(error, path) from None
    finally:
        loader.dispose()
    return node, data


def _has_merge(root: yaml.Node) -> bool:
    # Building the data applies merge keys in place, in the node tree the caller locates keys
    # with; a file with merge keys is built from a second parse instead (it is small: checked).
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.tag == "tag:yaml.org,2002:merge":
                    return True
                todo += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value
    return False


def load_yaml(path: Path, *, text: str | None = None) -> LocatedYaml:
    """Parse ``path`` (or ``text`` attributed to it) with line numbers; errors name the line.

    Raises
    ------
    evalkit.errors.ConfigError
        The file is missing, not UTF-8, not valid YAML, repeats a key, or exceeds
        :data:`LIMITS` (exit 2).
    """
    path = Path(path)
    if text is None:
        try:
            if path.stat().st_size > LIMITS["bytes"]:
                raise _refuse("study.yaml_too_large", path, size=path.stat().st_size,
                              limit=LIMITS["bytes"])
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ConfigError.from_catalogue("study.file_missing", where=str(path)) from None
        except UnicodeDecodeError as error:
            raise ConfigError.from_catalogue(
                "study.not_utf8", where=str(path), position=error.start
            ) from None
    key = (str(path.resolve()), text, tuple(LIMITS.items()))
    parsed = _PARSED.get(key)
    if parsed is None:
        node, data = compose_yaml(text, path)
        lines: dict[tuple, int] = {}
        if node is not None:
            _walk(node, lines, path)
        parsed = LocatedYaml(data=data, path=path, lines=lines)
        while len(_PARSED) >= _PARSED_KEPT:
            del _PARSED[next(iter(_PARSED))]
        _PARSED[key] = parsed
    # A copy: the caller owns what it gets, and the next parse of the same text is the same.
    located = copy.deepcopy(parsed)
    located.path = path
    return located
