"""Reading a PDF dispatch: the words of each page's text layer, with positions, through
pypdfium2 (PDFium), or the words Tesseract reads from the page image when the page has no
usable text layer (a scan).

What the page shows is what counts: text drawn invisible (render mode 3, the OCR layer of
a scanner), text painted over by a later image, white text and text outside the page are
dropped; the number and day that e-signature software fills in form fields over the "Số"
and "ngày" blanks are kept (the fields are flattened into the page first); the small
"Ký bởi … / Giờ ký …" stamp inside a signature field is dropped.
"""

from __future__ import annotations

import ctypes
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from chidao.errors import ParseError
from chidao.parse.layout import Word, page_lines
from chidao.parse.text_fix import looks_vietnamese, repair_text

MAX_BYTES = 100 * 1024 * 1024
MAX_PAGES = 60
MAX_CHARS_PER_PAGE = 40_000
# A signature field holds the signer's image and stamp; a number or day field is one line.
SIGNATURE_FIELD_HEIGHT = 30.0
_STAMP = re.compile(r"^(Ký bởi|Người ký|Cơ quan|Thời gian ký|Giờ ký|Email)\b", re.IGNORECASE)


@dataclass
class PdfText:
    """The lines of a PDF and what the reader had to say about them."""

    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ocr_lines: list[str] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)
    pages: int = 0

    @property
    def all_ocr(self) -> bool:
        return len(self.ocr_pages) == min(self.pages, MAX_PAGES) > 0


def _open(path: Path):
    import pypdfium2 as pdfium  # imported here so text files never pay for it

    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ParseError(f"{path}: tệp PDF quá lớn ({size // 2**20} MB; tối đa 100 MB)")
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        raise ParseError(f"{path}: không phải tệp PDF (not a PDF file)")
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        reason = str(exc)
        if "password" in reason.lower():
            raise ParseError(f"{path}: tệp PDF có mật khẩu (encrypted PDF)") from exc
        raise ParseError(f"{path}: không đọc được tệp PDF: {reason}") from exc


def _hidden_objects(page, raw) -> set[int]:
    """Text objects the reader cannot see: invisible render modes, white fill, or painted
    over by an image drawn later that covers them."""
    hidden: set[int] = set()
    texts: list[tuple[int, tuple[float, float, float, float]]] = []
    count = raw.FPDFPage_CountObjects(page)
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    for k in range(count):
        obj = raw.FPDFPage_GetObject(page, k)
        kind = raw.FPDFPageObj_GetType(obj)
        if kind not in (raw.FPDF_PAGEOBJ_TEXT, raw.FPDF_PAGEOBJ_IMAGE):
            continue
        raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
        box = (left.value, bottom.value, right.value, top.value)
        address = ctypes.cast(obj, ctypes.c_void_p).value or 0
        if kind == raw.FPDF_PAGEOBJ_IMAGE:
            for text_address, tb in texts:
                if tb[0] >= box[0] - 1 and tb[1] >= box[1] - 1 and tb[2] <= box[2] + 1:
                    if tb[3] <= box[3] + 1:
                        hidden.add(text_address)
            continue
        mode = raw.FPDFTextObj_GetTextRenderMode(obj)
        white = (
            raw.FPDFPageObj_GetFillColor(obj, r, g, b, a) and min(r.value, g.value, b.value) > 245
        )
        if mode in (raw.FPDF_TEXTRENDERMODE_INVISIBLE, raw.FPDF_TEXTRENDERMODE_CLIP) or white:
            hidden.add(address)
        else:
            texts.append((address, box))
    return hidden


def _signature_fields(page, raw, height: float) -> list[tuple[float, float, float, float]]:
    """Rectangles (top-down y) of the signature widgets on the page."""
    boxes = []
    rect = raw.FS_RECTF()
    for k in range(raw.FPDFPage_GetAnnotCount(page)):
        annot = raw.FPDFPage_GetAnnot(page, k)
        try:
            if raw.FPDFAnnot_GetSubtype(annot) != raw.FPDF_ANNOT_WIDGET:
                continue
            if raw.FPDFAnnot_GetRect(annot, rect) and rect.top - rect.bottom > (
                SIGNATURE_FIELD_HEIGHT
            ):
                boxes.append((rect.left, height - rect.top, rect.right, height - rect.bottom))
        finally:
            raw.FPDFPage_CloseAnnot(annot)
    return boxes


@dataclass
class _Char:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    space: bool


def _chars(textpage, raw, height: float, hidden: set[int]) -> list[_Char]:
    count = min(raw.FPDFText_CountChars(textpage), MAX_CHARS_PER_PAGE)
    box = raw.FS_RECTF()
    chars: list[_Char] = []
    for index in range(count):
        code = raw.FPDFText_GetUnicode(textpage, index)
        # PDFium reports a hyphen that ends a line as U+0002
        text = "-" if code == 2 else chr(code) if 31 < code < 0x110000 else " "
        obj = raw.FPDFText_GetTextObject(textpage, index)
        if obj and (ctypes.cast(obj, ctypes.c_void_p).value or 0) in hidden:
            continue
        space = text.isspace() or bool(raw.FPDFText_IsGenerated(textpage, index))
        raw.FPDFText_GetLooseCharBox(textpage, index, box)
        chars.append(
            _Char(
                text,
                box.left,
                height - box.top,
                box.right,
                height - box.bottom,
                raw.FPDFText_GetFontSize(textpage, index),
                space,
            )
        )
    return chars


def _words(chars: list[_Char]) -> list[Word]:
    """Characters → words: a space, a jump back, another baseline or a gap wider than a
    space ends a word."""
    words: list[Word] = []
    current: list[_Char] = []

    def flush() -> None:
        if current:
            words.append(
                Word(
                    current[0].x0,
                    min(c.top for c in current),
                    current[-1].x1,
                    max(c.bottom for c in current),
                    "".join(c.text for c in current),
                    max(c.size for c in current),
                )
            )
            current.clear()

    for char in chars:
        if char.space:
            flush()
            continue
        if current:
            last = current[-1]
            same_line = abs((char.top + char.bottom) - (last.top + last.bottom)) < (
                last.bottom - last.top
            )
            gap = char.x0 - last.x1
            if not same_line or gap < -0.5 * last.size or gap > 0.25 * last.size:
                flush()
        current.append(char)
    flush()
    return words


def _inside(word: Word, boxes: list[tuple[float, float, float, float]]) -> bool:
    x, y = (word.x0 + word.x1) / 2, word.middle
    return any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)


def _flattened(document, number: int, raw):
    """Page ``number`` with its form fields drawn into the page (PDFium sees the new
    content only once the page is loaded again), and its signature field rectangles."""
    page = document[number]
    try:
        stamps = _signature_fields(page, raw, page.get_height())
        flat = raw.FPDFPage_Flatten(page, raw.FLAT_NORMALDISPLAY) == raw.FLATTEN_SUCCESS
    finally:
        page.close()
    del flat  # a page that cannot be flattened is read as it is
    return document[number], stamps


def text_layer_words(page, raw, stamps: list[tuple[float, float, float, float]]) -> list[Word]:
    """The visible words of a page's text layer; small type inside a signature field is
    the signing software's stamp."""
    height = page.get_height()
    hidden = _hidden_objects(page, raw)
    textpage = raw.FPDFText_LoadPage(page)
    try:
        chars = _chars(textpage, raw, height, hidden)
    finally:
        raw.FPDFText_ClosePage(textpage)
    width = page.get_width()
    words = [
        w for w in _words(chars) if w.x1 > 0 and w.x0 < width and w.bottom > 0 and w.top < height
    ]
    if not words:
        return words
    small = 0.85 * statistics.median(w.size for w in words)
    return [w for w in words if not (w.size < small and _inside(w, stamps))]


def _usable(words: list[Word]) -> bool:
    """A text layer worth reading: enough words, and Vietnamese (an OCR layer made without
    the Vietnamese model reads "BO GIAO DUC VA DAO TAO")."""
    text = repair_text(" ".join(w.text for w in words))
    return sum(c.isalpha() for c in text) >= 80 and looks_vietnamese(text)


def _drop_stamp_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if not _STAMP.match(line)]


def _page_text(document, number: int, raw, reader, ocr: bool, result: PdfText):
    """The lines of one page; for a scan, a future of its OCR words and width, and the
    text-layer words to add to them (a number or day typed in a form field)."""
    page, stamps = _flattened(document, number, raw)
    try:
        words = text_layer_words(page, raw, stamps)
        if _usable(words):
            return _drop_stamp_lines(page_lines(words, 0.0, page.get_width()))
        if not ocr:
            result.warnings.append(f"page {number + 1} is a scan: not read (OCR is off)")
            return []
        result.ocr_pages.append(number + 1)
        typed = [w for w in words if not _inside(w, stamps)]
        return reader.read(number), typed
    finally:
        page.close()


def _overlaps(word: Word, others: list[Word]) -> bool:
    return any(
        o.x0 < word.x1 and word.x0 < o.x1 and o.top < word.bottom and word.top < o.bottom
        for o in others
    )


def _scan_lines(read: list[Word], width: float, typed: list[Word]) -> list[str]:
    """The lines of a scanned page: the words read by OCR and the typed words that lie
    where OCR read nothing."""
    from chidao.parse.ocr_fix import fix_ocr_lines

    words = read + [w for w in typed if not _overlaps(w, read)]
    return fix_ocr_lines(_drop_stamp_lines(page_lines(words, 0.0, width)))


def read_pdf(path: str | Path, ocr: bool = True) -> PdfText:
    """Lines of every page in reading order; pages without a usable text layer are read by
    OCR (``ocr=False``: left empty, with a warning)."""
    import pypdfium2.raw as raw

    from chidao.parse.ocr import PageReader

    path = Path(path)
    document = _open(path)
    result = PdfText()
    try:
        result.pages = len(document)
        if result.pages == 0:
            raise ParseError(f"{path}: tệp PDF không có trang nào (no pages)")
        if result.pages > MAX_PAGES:
            result.warnings.append(
                f"the PDF file has {result.pages} pages; only the first {MAX_PAGES} are read"
            )
        with PageReader(path) as reader:
            pages = [
                _page_text(document, number, raw, reader, ocr, result)
                for number in range(min(result.pages, MAX_PAGES))
            ]
            for page in pages:
                if isinstance(page, list):
                    result.lines += page
                    continue
                future, typed = page
                read, width = future.result()
                lines = _scan_lines(read, width, typed)
                result.ocr_lines += lines
                result.lines += lines
    finally:
        document.close()
    return result
