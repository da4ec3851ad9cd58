"""Safe YAML that remembers where things are.

Built on ``yaml.SafeLoader`` (never ``yaml.load``): a ``!!python/...`` tag is refused. Only
``true``/``false`` are booleans, so ``on``/``off``/``yes``/``no`` (and the Norwegian
problem) stay strings. Mappings and lists come back as ``Node`` subclasses of ``dict`` and
``list`` that carry the line of each key, so that messages can say "file:line".
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from chidao.errors import InputError


class LineDict(dict):
    """A mapping read from YAML; ``line`` is where it starts, ``lines[key]`` where a key is."""

    line: int = 0
    lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return getattr(self, "lines", {}).get(key, self.line)


class LineList(list):
    """A sequence read from YAML; ``line`` is where it starts."""

    line: int = 0


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


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str):
            key = unicodedata.normalize("NFC", key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    return unicodedata.normalize("NFC", loader.construct_scalar(node))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)


def loads(text: str, source: str = "<text>") -> Any:
    """Parse YAML text safely; errors name the source and line."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        found = re.search(r"'([^']+)'", exc.problem or "")
        tag = found.group(1).replace("tag:yaml.org,2002:", "!!") if found else "?"
        raise InputError(
            f"{source}:{line}: tag {tag} is not allowed (only plain YAML is read)"
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{source}:{line}: not valid YAML: {problem}") from exc


def load(path: str | Path) -> Any:
    """Read a YAML (or JSON, which is YAML) file as UTF-8."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a UTF-8 text file") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
    return loads(text, str(path))


def line_of(node: Any, key: str | None = None) -> int:
    """The line of ``node`` (or of ``key`` within it), 0 when unknown."""
    if key is not None and isinstance(node, LineDict):
        return node.line_of(key)
    return getattr(node, "line", 0)
