"""Reading a dispatch file into clean lines: .txt (UTF-8, any line endings, NFC or NFD) or
.docx (paragraphs and table cells, via python-docx)."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path

from chidao.errors import ParseError

_MARKUP = re.compile(r"\*\*|__")
_SPACES = re.compile(r"[ \t\u00a0\u2002-\u200b]+")


def clean_lines(text: str) -> list[str]:
    """NFC, one kind of line ending, no markdown bold, single spaces, trimmed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\ufeff", "")
    return [_SPACES.sub(" ", _MARKUP.sub("", line)).strip() for line in text.split("\n")]


def _docx_text(path: Path) -> str:
    import docx  # python-docx; imported here so text files never pay for it
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ParseError(f"{path}: không đọc được tệp Word (.docx): {exc}") from exc
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(
                "".join(node.text or "" for node in block.iter() if node.tag.endswith("}t"))
            )
        elif tag == "tbl":
            for row in block.iter():
                if row.tag.endswith("}tc"):
                    for para in row.iter():
                        if para.tag.endswith("}p"):
                            lines.append(
                                "".join(
                                    node.text or ""
                                    for node in para.iter()
                                    if node.tag.endswith("}t")
                                )
                            )
    return "\n".join(lines)


def read_document(path: str | Path) -> list[str]:
    """The lines of a dispatch file; a file that is not text is refused in one line."""
    path = Path(path)
    if not path.is_file():
        raise ParseError(f"{path}: no such file")
    if path.suffix.lower() == ".docx":
        return clean_lines(_docx_text(path))
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise ParseError(f"{path}: không phải tệp văn bản (not a text file)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{path}: không phải tệp văn bản UTF-8 (not a UTF-8 text file)") from exc
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t\f\v" for c in text[:4096]):
        raise ParseError(f"{path}: không phải tệp văn bản (not a text file)")
    return clean_lines(text)
