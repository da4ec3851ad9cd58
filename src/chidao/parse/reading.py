"""Reading a dispatch file into clean lines: .txt (UTF-8, any line endings, NFC or NFD),
.docx (paragraphs and table cells, via python-docx) or .pdf (text layer or OCR, see
``pdf``). Every format goes through the same repairs (``text_fix``) so the parser sees one
kind of text; what the reader had to guess (OCR) comes back as warnings."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from chidao.errors import ParseError
from chidao.parse.text_fix import repair_text

# A .docx is a zip: refuse one that would inflate past this before python-docx opens it.
MAX_DOCX_BYTES = 50 * 1024 * 1024
MAX_TEXT_BYTES = 20 * 1024 * 1024

_MARKUP = re.compile(r"\*\*|__")
_SPACES = re.compile(r"[ \t\u00a0\u2002-\u200b]+")


def clean_lines(text: str) -> list[str]:
    """NFC, one kind of line ending, no markdown bold, single spaces, trimmed."""
    text = repair_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\ufeff", "")
    return [_SPACES.sub(" ", _MARKUP.sub("", line)).strip() for line in text.split("\n")]


def _check_zip(path: Path) -> None:
    """Refuse a zip bomb from its directory, before anything is inflated."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ParseError(f"{path}: không đọc được tệp Word (.docx): {exc}") from exc
    if total > MAX_DOCX_BYTES:
        raise ParseError(
            f"{path}: tệp Word giải nén ra {total // 2**20} MB, quá giới hạn "
            f"{MAX_DOCX_BYTES // 2**20} MB"
        )


def _docx_text(path: Path) -> str:
    import docx  # python-docx; imported here so text files never pay for it
    from docx.opc.exceptions import PackageNotFoundError

    _check_zip(path)
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


@dataclass
class Source:
    """A dispatch file's lines, and what reading it had to say."""

    lines: list[str]
    warnings: list[str] = field(default_factory=list)
    ocr_lines: list[str] = field(default_factory=list)
    all_ocr: bool = False


def _text_lines(path: Path) -> list[str]:
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise ParseError(f"{path}: tệp quá lớn cho một công văn (tối đa 20 MB)")
    data = path.read_bytes()
    if data.startswith(b"%PDF-"):
        raise ParseError(f"{path}: không phải tệp văn bản mà là PDF: hãy đặt đuôi .pdf")
    if b"\x00" in data[:4096]:
        raise ParseError(f"{path}: không phải tệp văn bản (not a text file)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{path}: không phải tệp văn bản UTF-8 (not a UTF-8 text file)") from exc
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t\f\v" for c in text[:4096]):
        raise ParseError(f"{path}: không phải tệp văn bản (not a text file)")
    return clean_lines(text)


def read_source(path: str | Path, ocr: bool = True) -> Source:
    """A dispatch file (.txt, .docx or .pdf) as lines; a file that cannot be read is
    refused in one line (``ParseError``)."""
    path = Path(path)
    if not path.is_file():
        raise ParseError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return Source(clean_lines(_docx_text(path)))
    if suffix == ".pdf":
        from chidao.parse.pdf import read_pdf

        pdf = read_pdf(path, ocr=ocr)
        return Source(
            clean_lines("\n".join(pdf.lines)),
            pdf.warnings,
            clean_lines("\n".join(pdf.ocr_lines)),
            pdf.all_ocr,
        )
    return Source(_text_lines(path))


def read_document(path: str | Path) -> list[str]:
    """The lines of a dispatch file; a file that cannot be read is refused in one line."""
    return read_source(path).lines
