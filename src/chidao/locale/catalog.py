"""The translation catalog, built with Babel: ``python -m chidao.locale extract|update|…``.

What is extracted (``extract``), from ``src/chidao``:

- ``_("…")``, ``N_("…")`` and ``ngettext("…", "…", n)`` calls, anywhere;
- in ``cli/``: each command's and group's docstring (click's help, as ``inspect.cleandoc``
  leaves it), paragraph by paragraph without the example lines, and every ``help="…"`` of
  an option;
- elsewhere, the messages library code builds for users in English: the first argument of
  a raised error (``raise NotFound(f"task {task_id} does not exist")``), of
  ``problems.add(line, …)``, ``fail(…)`` and of the ``append`` of a problem, warning or
  note; f-strings become templates whose ``{placeholders}`` are named after what they
  show. ``chidao.i18n.message`` matches finished messages against these templates;
- the default messages of ``chidao.errors`` (class docstrings);
- click's own strings (``Usage:``, ``Show this message and exit.`` …) from the installed
  click package.

``update`` merges the template into ``vi/LC_MESSAGES/chidao.po`` (translated by hand) and
compiles it, ``compile`` writes ``chidao.mo`` beside it (shipped in the package, so that an install
needs no Babel), ``check`` lists what is untranslated or out of date (the test suite runs
it). Babel is needed only here (``pip install -e '.[test]'``).
"""

from __future__ import annotations

import ast
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
PO = HERE / "vi" / "LC_MESSAGES" / "chidao.po"
MO = PO.with_suffix(".mo")
LOCALE = "vi"

Message = tuple[str | tuple[str, ...], str, int, str]  # msgid, file, line, comment

RAISED = ("Error", "Refused", "NotFound", "OutOfRange", "ChainBroken", "BadRows", "Directive")
NOT_FOR_USERS = {"AssertionError", "PydanticCustomError"}
PIECES = {"require_office", "_new_due", "_check_extendable", "apply", "_refused"}
MARKERS = {"_", "N_"}
APPENDED = {"problems", "errors", "warnings", "notes", "skipped"}


# ------------------------------------------------------------------------- templates


def placeholder(expr: ast.expr) -> str:
    """A short name for what an f-string shows: ``{task_id}``, ``{label}``, ``{path}``."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Subscript):
        key = expr.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
        return placeholder(expr.value)
    if isinstance(expr, ast.Call):
        return _called(expr)
    if isinstance(expr, ast.BoolOp):
        return placeholder(expr.values[0])
    return "value"


def _called(expr: ast.Call) -> str:
    """``x.strftime(…)``, ``", ".join(x)``, ``format_date(x)``: named after ``x``."""
    func = expr.func
    if isinstance(func, ast.Name):
        return placeholder(expr.args[0]) if expr.args else func.id
    if not isinstance(func, ast.Attribute):
        return "value"
    if func.attr in ("format", "strftime", "isoformat"):
        return placeholder(func.value)
    if func.attr in ("join", "get") and expr.args:
        first = expr.args[0]
        if isinstance(first, ast.Constant):
            return str(first.value)
        return placeholder(first)
    return func.attr


def template(node: ast.expr, names: dict[str, int] | None = None) -> str | None:
    """The ``str.format`` template of a message expression, or None when it holds no
    literal text (a variable passed on)."""
    names = {} if names is None else names
    parts: list[str] = []
    literal = False

    def field(expr: ast.expr, conversion: int = -1) -> str:
        name = placeholder(expr)
        names[name] = names.get(name, 0) + 1
        if names[name] > 1:
            name = f"{name}_{names[name]}"
        return "{" + name + ("!r" if conversion == ord("r") else "") + "}"

    def walk(expr: ast.expr) -> None:
        nonlocal literal
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            parts.append(expr.value.replace("{", "{{").replace("}", "}}"))
            literal = literal or bool(expr.value.strip())
        elif isinstance(expr, ast.JoinedStr):
            for value in expr.values:
                if isinstance(value, ast.Constant):
                    walk(value)
                elif isinstance(value, ast.FormattedValue):
                    parts.append(field(value.value, value.conversion))
        elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            walk(expr.left)
            walk(expr.right)
        else:
            parts.append(field(expr))

    walk(node)
    return "".join(parts) if literal else None


def _branches(node: ast.expr) -> Iterator[ast.expr]:
    """The string parts of conditional pieces (``… + (f"; {more}" if more else "")``,
    ``why or f"…"``),
    extracted as messages of their own so that a caught value is translated too."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.IfExp | ast.BoolOp):
            parts = (sub.body, sub.orelse) if isinstance(sub, ast.IfExp) else sub.values
            for branch in parts:
                if isinstance(branch, ast.JoinedStr | ast.BinOp) or (
                    isinstance(branch, ast.Constant)
                    and isinstance(branch.value, str)
                    and len(branch.value) > 3
                ):
                    yield branch


# ------------------------------------------------------------------------- extractors


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _owner(func: ast.expr) -> str:
    return _name(func.value) if isinstance(func, ast.Attribute) else ""


def _marked(node: ast.Call) -> Iterator[tuple[str | tuple[str, str], str]]:
    name = _name(node.func)
    texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if name in MARKERS and len(node.args) == 1 and texts:
        yield texts[0], ""
    elif name == "ngettext" and len(texts) >= 2:
        yield (texts[0], texts[1]), ""


def _library_messages(node: ast.Call) -> Iterator[ast.expr]:
    """The message argument of a call that builds one for a user."""
    name, owner = _name(node.func), _owner(node.func)
    if name in NOT_FOR_USERS:
        return
    if name.endswith(RAISED) or name in ("_Refused", "ChidaoError"):
        yield from _raised_messages(node, name)
    elif name in PIECES:  # a piece that ends up inside a message ("task 17: extending …")
        yield from (a for a in node.args if isinstance(a, ast.JoinedStr))
    elif name == "add" and owner == "problems" and len(node.args) == 2:
        yield node.args[1]
    elif name == "append" and owner in APPENDED and node.args:
        arg = node.args[0]
        yield from (arg.elts[1:] if isinstance(arg, ast.Tuple) else [arg])


def _raised_messages(node: ast.Call, name: str) -> Iterator[ast.expr]:
    """An error's message: its first argument (``_Refused``'s second), ``message=`` or
    each of ``problems=[…]``."""
    yield from node.args[1:] if name == "_Refused" else node.args[:1]
    for keyword in node.keywords:
        if keyword.arg == "message":
            yield keyword.value
        elif keyword.arg == "problems" and isinstance(keyword.value, ast.List):
            yield from keyword.value.elts


def _cli_messages(node: ast.Call) -> Iterator[ast.expr]:
    for keyword in node.keywords:
        if keyword.arg == "help":
            yield keyword.value


def _docstrings(tree: ast.Module, path: Path) -> Iterator[tuple[str, int, str]]:
    """Click help: docstrings of functions decorated as commands or groups; the default
    messages of the error classes."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and "cli" in path.parts:
            decorated = any(
                isinstance(d, ast.Call) and _name(d.func) in ("command", "group")
                for d in node.decorator_list
            )
            doc = ast.get_docstring(node, clean=True)
            if decorated and doc:
                for paragraph in doc.split("\n\n"):
                    if not paragraph.startswith("    "):
                        yield paragraph, node.lineno, "click help"
        elif isinstance(node, ast.ClassDef) and path.name == "errors.py":
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield doc, node.lineno, "default error message"


def messages_of(path: Path) -> Iterator[Message]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    where = str(path.relative_to(PACKAGE.parent))
    for text, line, comment in _docstrings(tree, path):
        yield text, where, line, comment
    cli = "cli" in path.parts
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for msgid, comment in _call_messages(node, path, cli):
                yield msgid, where, node.lineno, comment


def _call_messages(
    node: ast.Call, path: Path, cli: bool
) -> Iterator[tuple[str | tuple[str, ...], str]]:
    """(message, comment) of one call: marked with ``_``/``N_``, a ``fail`` template, a
    click help text, or the message a library call builds for a user."""
    yield from _marked(node)
    if _name(node.func) == "fail" and node.args:  # a str.format template already
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield first.value, "template"
        return
    for arg in [*(_cli_messages(node) if cli else ()), *_library_messages(node)]:
        for expr in (arg, *_branches(arg)):
            found = template(expr)
            if not found or not found.strip() or written_in_vietnamese(found, path):
                continue
            yield found, "" if found == getattr(expr, "value", None) else "template"


def written_in_vietnamese(text: str, path: Path) -> bool:
    """The parser's messages (about Vietnamese documents) are written in Vietnamese and
    stay so in both languages; they are not English messages to translate."""
    return "parse" in path.parts and not text.isascii()


def _click_messages() -> Iterator[Message]:
    import click

    folder = Path(click.__file__).parent
    for filename, line, msgid, _comments, _context in extract_from_dir(
        str(folder), method_map=[("**.py", "python")]
    ):
        yield msgid, f"click/{filename}", line, "click"


def extract() -> Catalog:
    """The template of the catalog: every message, as the code writes it (English)."""
    catalog = Catalog(project="chidao", fuzzy=False)
    sources = sorted(p for p in PACKAGE.rglob("*.py") if "locale" not in p.parts)
    found: list[Message] = [m for path in sources for m in messages_of(path)]
    found += list(_click_messages())
    for msgid, where, line, comment in found:
        comments = [comment] if comment else []
        if msgid in catalog:
            entry = catalog[msgid]
            entry.locations.append((where, line))
            entry.auto_comments = sorted(set(entry.auto_comments) | set(comments))
        else:
            catalog.add(msgid, locations=[(where, line)], auto_comments=comments)
    return catalog


# ------------------------------------------------------------------------- po and mo


def read(path: Path = PO) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=LOCALE)


def write(catalog: Catalog, path: Path = PO) -> None:
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=False, omit_header=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def update() -> Catalog:
    """Merge the extracted messages into the Vietnamese catalog (new ones untranslated,
    messages no longer in the code dropped)."""
    fresh = extract()
    if PO.exists():
        catalog = read()
        catalog.update(fresh, no_fuzzy_matching=True)
        catalog.obsolete.clear()
    else:
        catalog = Catalog(locale=LOCALE, project="chidao", fuzzy=False)
        catalog.update(fresh, no_fuzzy_matching=True)
    write(catalog)
    compile_mo()
    return catalog


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def compile_mo() -> None:
    MO.write_bytes(mo_bytes(read()))


def untranslated(catalog: Catalog) -> list[str]:
    return [
        str(m.id)
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]


def check() -> list[str]:
    """What keeps the catalog from being complete and current, one line each."""
    problems = []
    catalog = read()
    known = {m.id for m in catalog if m.id}
    for message in extract():
        if message.id and message.id not in known:
            problems.append(f"not in {PO.name}: {message.id!r}")
    problems += [f"untranslated: {m!r}" for m in untranslated(catalog)]
    problems += [f"fuzzy: {m.id!r}" for m in catalog if m.id and m.fuzzy]
    if not MO.exists() or MO.read_bytes() != mo_bytes(catalog):
        problems.append(
            f"{MO.name} is not compiled from {PO.name} (python -m chidao.locale compile)"
        )
    return problems


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "extract":
        out = io.BytesIO()
        write_po(out, extract(), width=100)
        sys.stdout.write(out.getvalue().decode("utf-8"))
    elif command == "update":
        catalog = update()
        print(f"{PO}: {len(catalog)} messages, {len(untranslated(catalog))} untranslated")
    elif command == "compile":
        compile_mo()
        print(f"{MO} written")
    elif command == "check":
        problems = check()
        for line in problems:
            print(line)
        return 1 if problems else 0
    else:
        print("usage: python -m chidao.locale extract|update|compile|check", file=sys.stderr)
        return 2
    return 0
