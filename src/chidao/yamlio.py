"""Safe YAML that remembers where things are.

Built on ``yaml.SafeLoader`` (never ``yaml.load``): a ``!!python/...`` tag is refused. Only
``true``/``false`` are booleans, so ``on``/``off``/``yes``/``no`` (and the Norwegian
problem) stay strings. Mappings and lists come back as subclasses of ``dict`` and ``list``
that carry the line of each key and item, so that messages can say "file:line".

What a file may not do is refused before anything is built from it: a key written twice in
one mapping (YAML would keep the last one silently), aliases that expand the document far
past what is written (the "billion laughs"), an alias to itself, nesting deeper than
``MAX_DEPTH``, and a file larger than ``MAX_YAML_BYTES``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from chidao.errors import InputError

MAX_YAML_BYTES = 20 * 1024 * 1024  # an org file for every school of a province fits in 5 MB
MAX_DEPTH = 40  # mappings and lists inside each other; real files use fewer than 10
# Aliases may expand a document to this many nodes, or ten times what is written if more.
MAX_EXPANDED_NODES = 100_000


class LineDict(dict):
    """A mapping read from YAML; ``line`` is where it starts, ``lines[key]`` where a key is."""

    line: int = 0
    lines: dict[str, int]

    def line_of(self, key: str | int) -> int:
        return getattr(self, "lines", {}).get(key, self.line)


class LineList(list):
    """A sequence read from YAML; ``line`` is where it starts, ``lines[i]`` where item i is."""

    line: int = 0
    lines: list[int]

    def line_of(self, index: int) -> int:
        lines = getattr(self, "lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


class _Refused(yaml.MarkedYAMLError):
    """What chidao does not read in a YAML file, with the place it starts."""

    def __init__(self, node: yaml.Node, problem: str) -> None:
        super().__init__(problem=problem, problem_mark=node.start_mark)


class _Loader(yaml.SafeLoader):
    pass


# Drop YAML 1.1's yes/no/on/off booleans: keep only true/false.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _key(loader: _Loader, key_node: yaml.Node) -> Any:
    key = loader.construct_object(key_node, deep=True)
    if isinstance(key, str):
        return unicodedata.normalize("NFC", key)
    if not isinstance(key, int | float | dt.date | None):
        raise _Refused(key_node, "a key must be plain text, not a list or a mapping")
    return key


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    own: dict[Any, int] = {}
    for key_node, _value in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key, line = _key(loader, key_node), key_node.start_mark.line + 1
        if key in own:
            raise _Refused(key_node, f"key {key!r} appears twice (first at line {own[key]})")
        own[key] = line
    loader.flatten_mapping(node)  # merged keys (<<: *base) first: the mapping's own win
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = _key(loader, key_node)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_graph(root: yaml.Node) -> None:
    """Refuse a node graph that is too deep, refers to itself, or that aliases would blow
    up: the expanded size is counted once per node (memoised), so a bomb costs no time."""
    written, todo = {id(root)}, [root]
    while todo:
        for child in _children(todo.pop()):
            if id(child) not in written:
                written.add(id(child))
                todo.append(child)
    limit = max(MAX_EXPANDED_NODES, 10 * len(written))
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if depth > MAX_DEPTH:
            raise _Refused(node, f"lists and mappings nest deeper than {MAX_DEPTH} levels")
        if id(node) in open_nodes:
            raise _Refused(node, "an alias refers to the node that contains it")
        open_nodes.add(id(node))
        total = 1
        for child in _children(node):
            total += size(child, depth + 1)
            if total > limit:
                raise _Refused(
                    node,
                    f"aliases (*name) expand this document past {limit:,} values; "
                    "write the values out instead",
                )
        open_nodes.discard(id(node))
        sizes[id(node)] = total
        return total

    size(root, 0)


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    return unicodedata.normalize("NFC", loader.construct_scalar(node))


def _single_data(loader: _Loader) -> Any:
    node = loader.get_single_node()
    if node is None:
        return None
    _check_graph(node)
    return loader.construct_document(node)


_Loader.get_single_data = _single_data  # type: ignore[method-assign,assignment]
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)


def loads(text: str, source: str = "<text>") -> Any:
    """Parse YAML text safely; errors name the source and line."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except _Refused as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise InputError(f"{source}:{line}: {exc.problem}", file=source, line=line) from exc
    except RecursionError as exc:
        raise InputError(
            f"{source}: lists and mappings nest deeper than {MAX_DEPTH} levels"
        ) from exc
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        if "constructor for the tag" not in (exc.problem or ""):
            raise InputError(
                f"{source}:{line}: not valid YAML: {exc.problem}", file=source, line=line
            ) from exc
        found = re.search(r"'([^']+)'", exc.problem or "")
        tag = found.group(1).replace("tag:yaml.org,2002:", "!!") if found else "?"
        raise InputError(
            f"{source}:{line}: tag {tag} is not allowed (only plain YAML is read)",
            file=source,
            line=line,
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(
            f"{source}:{line}: not valid YAML: {problem}", file=source, line=line
        ) from exc


def load(path: str | Path) -> Any:
    """Read a YAML (or JSON, which is YAML) file as UTF-8."""
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > MAX_YAML_BYTES:
            raise InputError(
                f"{path}: the file is {path.stat().st_size // 2**20} MB; chidao reads YAML "
                f"files up to {MAX_YAML_BYTES // 2**20} MB"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file", file=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a UTF-8 text file", file=str(path)) from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
    return loads(text, str(path))


def line_of(node: Any, key: str | int | None = None) -> int:
    """The line of ``node`` (or of ``key`` within it), 0 when unknown."""
    if key is not None and isinstance(node, LineDict):
        return node.line_of(key)
    if isinstance(key, int) and isinstance(node, LineList):
        return node.line_of(key)
    return getattr(node, "line", 0)
