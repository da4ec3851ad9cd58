"""OCR of a scanned page: render it with PDFium at 300 dpi and read the words, with their
positions, through Tesseract's Vietnamese model (Debian: tesseract-ocr, tesseract-ocr-vie).
The words then go through the same layout rules as a text layer."""

from __future__ import annotations

from pathlib import Path

from chidao.errors import ParseError
from chidao.parse.layout import Word

DPI = 300
PAGE_SECONDS = 90  # Tesseract gives up on a page after this long
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-vie"
# Tesseract's confidence (0-100) below which a "word" is usually a speck or a stamp edge.
MIN_CONFIDENCE = 20


def _tesseract():
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
    return pytesseract


def page_words(page, path: Path, number: int) -> list[Word]:
    """The words Tesseract reads on ``page`` (a pypdfium2 page), in points."""
    pytesseract = _tesseract()
    scale = DPI / 72
    # Annotations are left out: an e-signature box drawn over a scan is not its text.
    image = page.render(scale=scale, grayscale=True, draw_annots=False).to_pil()
    where = f"{path}: OCR trang {number + 1}"
    data = _read(pytesseract, image, "--psm 3", where)
    return _words(data, scale)


def _read(pytesseract, image, config: str, where: str) -> dict[str, list]:
    try:
        return pytesseract.image_to_data(
            image,
            lang="vie",
            config=config,
            output_type=pytesseract.Output.DICT,
            timeout=PAGE_SECONDS,
        )
    except RuntimeError as exc:  # pytesseract's timeout
        raise ParseError(f"{where} quá {PAGE_SECONDS} giây") from exc
    except pytesseract.TesseractError as exc:
        raise ParseError(f"{where} lỗi: {exc.message}") from exc


def _words(data: dict[str, list], scale: float) -> list[Word]:
    """Tesseract's words, each as tall as its text line: a word's own box depends on its
    letters ("ve" against "Đồng"), a line's box does not."""
    keys = list(zip(data["block_num"], data["par_num"], data["line_num"], strict=False))
    lines: dict[tuple[int, int, int], tuple[float, float]] = {}
    for index, key in enumerate(keys):
        if data["level"][index] == 4:
            lines[key] = (data["top"][index], data["top"][index] + data["height"][index])
    words: list[Word] = []
    for index, raw_text in enumerate(data["text"]):
        text = raw_text.strip()
        if not text or float(data["conf"][index]) < MIN_CONFIDENCE:
            continue
        left, width = data["left"][index], data["width"][index]
        top, bottom = lines.get(
            keys[index], (data["top"][index], data["top"][index] + data["height"][index])
        )
        words.append(
            Word(
                left / scale,
                top / scale,
                (left + width) / scale,
                bottom / scale,
                text,
                (bottom - top) / scale / 1.15,  # a line box is about 1.15 em tall
            )
        )
    return words
