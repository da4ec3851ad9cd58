"""OCR of scanned pages: each page is rendered by PDFium at 300 dpi, red ink dropped, and
read with word positions by Tesseract's Vietnamese model (Debian: tesseract-ocr,
tesseract-ocr-vie). The words then go through the same layout rules as a text layer.

Why the red channel: an office's seal is red and is stamped over the signer's title
("KT. BỘ TRƯỞNG / THỨ TRƯỞNG"); in the red channel red is as light as the paper, while black
print and blue ink (signatures, handwritten numbers) stay dark.

Tesseract runs one thread per page (its OpenMP threads fight each other on a busy machine:
one page took 8 s with them and 2 s without), and up to ``WORKERS`` pages at once.
"""

from __future__ import annotations

import os
import re
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from chidao.errors import ParseError
from chidao.parse.layout import Word, column_boxes, rows_of

DPI = 300
PAGE_SECONDS = 90  # Tesseract gives up on a page after this long
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-vie"
WORKERS = max(1, min(2, os.cpu_count() or 1))
# Tesseract's confidence (0-100) below which a "word" is often a speck, a stamp's edge or
# a stroke of a signature; such a word is kept only when it still reads like a word.
MIN_CONFIDENCE = 20
MIN_LETTERS = 3
MIN_LETTER_SHARE = 0.6
# "Số:" glued to a handwritten number is read with little confidence but anchors the line.
_NUMBER_ANCHOR = re.compile(r"^[Ss][^\W\d_]?[.:;,]")
# The words trusted to find the columns of a page (a speck between two columns hides them).
CONFIDENT = 60
# A page read with less mean confidence is checked for a sideways or upside-down scan.
TURNED_CONFIDENCE = 70
# Two readings of a line whose mean confidence differs by more are told apart by it alone.
CLEARLY = 10
# A line of a column found by only one of its two readings is kept above this mean.
LINE_CONFIDENCE = 50


def check_tesseract() -> Any:
    """pytesseract, once Tesseract and its Vietnamese model are known to be installed."""
    try:
        import pytesseract
    except ImportError as exc:  # pragma: no cover - pytesseract is a dependency
        raise ParseError(f"đọc PDF quét cần pytesseract: pip install pytesseract ({exc})") from exc
    try:
        languages = pytesseract.get_languages(config="")
    except (pytesseract.TesseractNotFoundError, OSError) as exc:
        raise ParseError(f"đọc PDF quét (ảnh) cần Tesseract OCR: {INSTALL}") from exc
    if "vie" not in languages:
        raise ParseError(f"đọc PDF quét (ảnh) cần mô hình tiếng Việt của Tesseract: {INSTALL}")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # inherited by every tesseract process
    return pytesseract


def render(page) -> Any:
    """The page (a pypdfium2 page) as a greyscale image at ``DPI``, red ink dropped.
    Annotations are left out: an e-signature box drawn over a scan is not its text."""
    image = page.render(scale=DPI / 72, draw_annots=False).to_pil()
    return image.getchannel("R") if image.mode == "RGB" else image.convert("L")


def _data(image, psm: int, where: str) -> dict[str, list]:
    import pytesseract  # checked once per document (``PageReader``), not per call

    try:
        return pytesseract.image_to_data(
            image,
            lang="vie",
            config=f"--psm {psm}",
            output_type=pytesseract.Output.DICT,
            timeout=PAGE_SECONDS,
        )
    except RuntimeError as exc:  # pytesseract's timeout
        raise ParseError(f"{where} quá {PAGE_SECONDS} giây") from exc
    except pytesseract.TesseractNotFoundError as exc:
        raise ParseError(f"đọc PDF quét (ảnh) cần Tesseract OCR: {INSTALL}") from exc
    except pytesseract.TesseractError as exc:
        raise ParseError(f"{where} lỗi: {exc.message}") from exc


Read = list[tuple[Word, float]]  # words and Tesseract's confidence in each (0-100)


def read_image(image, where: str) -> tuple[list[Word], float]:
    """The words Tesseract reads on a page image rendered at ``DPI``, in points, and the
    width of the page as read (a page scanned sideways is turned upright first).

    The page is read whole first. Then each column of a two-column block of the header
    (issuer | motto, Số | date) or the footer (Nơi nhận | signature) is read again on its
    own as one block of text: on the whole page, Tesseract's line finding lets the
    columns, a seal or a handwritten number disturb each other ("Số:" lost beside a
    handwritten "42"). Of the two readings of a column, line by line, the one read with
    more confidence is kept; specks between the columns are dropped."""
    scale = DPI / 72
    words = _words(_data(image, 3, where), scale)
    if _looks_turned(words) and (upright := _upright(image)) is not None:
        image = upright
        words = _words(_data(image, 3, where), scale)
    confident = [w for w, confidence in words if confidence >= CONFIDENT]
    for block, columns in column_boxes(confident, 0.0, image.width / scale):
        kept = [(w, c) for w, c in words if not _centre_in(w, block)]
        for box in columns:
            first = [(w, c) for w, c in words if _centre_in(w, block) and _centre_in(w, box)]
            again = [(w, c) for w, c in _read_box(image, box, where) if _centre_in(w, box)]
            kept += _better_lines(first, again)
        words = kept
    return [w for w, _ in words], image.width / scale


def _lines(read: Read) -> list[Read]:
    confidence = dict(read)
    return [[(w, confidence[w]) for w in row] for row in rows_of([w for w, _ in read])]


def _better_lines(first: Read, again: Read) -> Read:
    """Two readings of one column merged line by line: lines of either reading at the
    same height make a group, and of a group the better reading is kept (``_better``); a
    group only one reading found is kept when it was read with some confidence (a seal
    or a signature read as letters is not)."""
    kept: Read = []
    for ones, others in _height_groups(first, again):
        one, other = [w for x in ones for w in x], [w for x in others for w in x]
        if one and other:
            kept += _better(one, other)
        elif _mean(one or other) >= LINE_CONFIDENCE:
            kept += one or other
    return kept


def _height_groups(first: Read, again: Read) -> list[tuple[list[Read], list[Read]]]:
    """The lines of both readings, top to bottom, grouped by height: (first's, again's)."""
    groups: list[tuple[list[Read], list[Read]]] = []
    lines = [(line, 0) for line in _lines(first)] + [(line, 1) for line in _lines(again)]
    for line, which in sorted(lines, key=lambda item: min(w.top for w, _ in item[0])):
        group = next((g for g in groups if any(_same_height(line, o) for o in g[0] + g[1])), None)
        if group is None:
            group = ([], [])
            groups.append(group)
        group[which].append(line)
    return groups


def _better(one: Read, other: Read) -> Read:
    """Of two readings of the same line: the one read with clearly more confidence; when
    both are about as sure, the one with more letters and digits read confidently (a
    line a speck hid in one reading: "xí" against "- Lưu VT, HĐ")."""
    if abs(_mean(one) - _mean(other)) > CLEARLY:
        return max(one, other, key=_mean)
    return max(one, other, key=lambda read: (_sure_characters(read), _mean(read)))


def _sure_characters(read: Read) -> int:
    return sum(sum(c.isalnum() for c in w.text) for w, conf in read if conf >= CONFIDENT)


def _same_height(a: Read, b: Read) -> bool:
    top = max(min(w.top for w, _ in a), min(w.top for w, _ in b))
    bottom = min(max(w.bottom for w, _ in a), max(w.bottom for w, _ in b))
    shorter = min(max(w.bottom for w, _ in x) - min(w.top for w, _ in x) for x in (a, b))
    return bottom - top > 0.5 * shorter


def _mean(line: Read) -> float:
    """The confidence of a line, each word counting by its length."""
    return sum(len(w.text) * c for w, c in line) / max(1, sum(len(w.text) for w, _ in line))


def _looks_turned(words: Read) -> bool:
    """A page scanned sideways or upside down: read with little confidence, or its words
    standing taller than wide."""
    long = [w for w, _ in words if len(w.text) >= 4]
    if len(long) < 10:
        return False  # a blank page, or a few words: nothing to tell
    tall = sum(1 for w in long if w.x1 - w.x0 < w.bottom - w.top)
    return _mean(words) < TURNED_CONFIDENCE or tall > len(long) / 2


def _upright(image) -> Any:
    """The image turned upright as Tesseract's orientation detection sees it; None when it
    is upright already or cannot tell."""
    import pytesseract

    try:
        found = pytesseract.image_to_osd(
            image, config="--psm 0", output_type=pytesseract.Output.DICT, timeout=PAGE_SECONDS
        )
    except (pytesseract.TesseractError, RuntimeError):
        return None  # too few letters to tell
    turn = int(found.get("rotate", 0)) % 360
    return image.rotate(-turn, expand=True) if turn else None


def _centre_in(word: Word, box: tuple[float, float, float, float]) -> bool:
    x, y = (word.x0 + word.x1) / 2, word.middle
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _read_box(image, box: tuple[float, float, float, float], where: str) -> Read:
    scale = DPI / 72
    line = 12.0  # points: about one line of 13-point type
    left = max(0, int((box[0] - 0.3 * line) * scale))
    top = max(0, int((box[1] - 0.5 * line) * scale))
    right = min(image.width, int((box[2] + 0.3 * line) * scale))
    bottom = min(image.height, int((box[3] + 0.5 * line) * scale))
    crop = image.crop((left, top, right, bottom))
    return _words(_data(crop, 6, where), scale, left, top)


def _reads_like_a_word(text: str, confidence: float) -> bool:
    if confidence >= MIN_CONFIDENCE or _NUMBER_ANCHOR.match(text):
        return True
    letters = sum(c.isalpha() for c in text)
    return letters >= MIN_LETTERS and letters >= MIN_LETTER_SHARE * len(text)


def _words(data: dict[str, list], scale: float, dx: int = 0, dy: int = 0) -> Read:
    """Tesseract's words (its pixels shifted by ``dx``, ``dy`` first), each as tall as its
    text line: a word's own box depends on its letters ("ve" against "Đồng"), a line's box
    does not."""
    keys = list(zip(data["block_num"], data["par_num"], data["line_num"], strict=False))
    lines: dict[tuple[int, int, int], tuple[float, float]] = {}
    for index, key in enumerate(keys):
        if data["level"][index] == 4:
            lines[key] = (data["top"][index], data["top"][index] + data["height"][index])
    words: Read = []
    for index, raw_text in enumerate(data["text"]):
        text = raw_text.strip()
        confidence = float(data["conf"][index])
        if not text or not _reads_like_a_word(text, confidence):
            continue
        left, width = data["left"][index] + dx, data["width"][index]
        top, bottom = lines.get(
            keys[index], (data["top"][index], data["top"][index] + data["height"][index])
        )
        top, bottom = top + dy, bottom + dy
        word = Word(
            left / scale,
            top / scale,
            (left + width) / scale,
            bottom / scale,
            text,
            (bottom - top) / scale / 1.15,  # a line box is about 1.15 em tall
        )
        words.append((word, confidence))
    return words


class PageReader:
    """Reads a document's scanned pages. Pages are rendered here, one at a time (PDFium is
    not thread-safe), from a copy of the document as it was saved: the text reader
    flattens form fields into the page, and an e-signature box drawn over a scan is not
    its text. Tesseract reads up to ``WORKERS`` pages at a time; ``read`` returns a future
    of the page's words and width (``read_image``), so pages come back in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._document: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future[tuple[list[Word], float]]] = deque()

    def read(self, number: int) -> Future[tuple[list[Word], float]]:
        if self._pool is None:
            check_tesseract()  # one clear line before any page is rendered
            import pypdfium2 as pdfium

            self._document = pdfium.PdfDocument(str(self.path))
            self._pool = ThreadPoolExecutor(max_workers=WORKERS)
        while len(self._pending) >= WORKERS:  # at most WORKERS page images in memory
            self._pending.popleft().exception()
        page = self._document[number]
        try:
            image = render(page)
        finally:
            page.close()
        future = self._pool.submit(read_image, image, f"{self.path}: OCR trang {number + 1}")
        self._pending.append(future)
        return future

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._document is not None:
            self._document.close()

    def __enter__(self) -> PageReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
