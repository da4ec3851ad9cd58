"""Parse 1,000 dispatches and report documents per second; then PDFs.

    python benchmarks/parse.py [--documents 1000] [--runs 5] [--no-ocr]

The documents are the test fixtures (real and variant công văn), read from disk each time
as a clerk's command would. A single document must feel instant: well under 50 ms.

PDFs: each text PDF of the fixtures is parsed ``--runs`` times (median), beside the time
PDFium alone takes to open it and extract its text (the floor); a two-page text PDF must
stay well under 300 ms. Scanned pages: seconds per OCR page, beside rendering the page
alone at the OCR resolution.
"""

from __future__ import annotations

import argparse
import statistics
import time
from itertools import cycle, islice
from pathlib import Path

from chidao.parse import parse_file

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "directives"
TEXT_PDFS = ("pgddt-hiep-hoa-459-2020", "pgddt-hiep-hoa-166-2020", "so-gddt-ha-giang-1019-2019")
SCANS = ("pgddt-hiep-hoa-193-2020", "ubnd-ha-giang-3767-2020")


def _median(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _pdfium_text(path: Path) -> None:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    for page in document:
        page.get_textpage().get_text_range()
    document.close()


def _pdfium_render(path: Path) -> None:
    import pypdfium2 as pdfium

    from chidao.parse.ocr import render

    document = pdfium.PdfDocument(str(path))
    for page in document:
        render(page)  # at the OCR resolution, as OCR gets it
    document.close()


def bench_pdfs(runs: int, ocr: bool) -> None:
    import pypdfium2 as pdfium

    for name in TEXT_PDFS:
        path = FIXTURES / "pdf" / f"{name}.pdf"
        pages = len(pdfium.PdfDocument(str(path)))
        ours = _median(runs, lambda p=path: parse_file(p))
        floor = _median(runs, lambda p=path: _pdfium_text(p))
        print(
            f"text PDF {name} ({pages} pages): {ours * 1000:.0f} ms, {1 / ours:.1f} documents/s;"
            f" PDFium text alone {floor * 1000:.0f} ms; ratio {ours / floor:.1f}x"
        )
    if not ocr:
        return
    for name in SCANS:
        path = FIXTURES / "pdf" / f"{name}.pdf"
        pages = len(pdfium.PdfDocument(str(path)))
        ours = _median(runs, lambda p=path: parse_file(p)) / pages
        floor = _median(runs, lambda p=path: _pdfium_render(p)) / pages
        print(
            f"scanned PDF {name} ({pages} pages): {ours:.2f} s per OCR page; PDFium "
            f"rendering alone {floor:.2f} s per page; ratio {ours / floor:.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-ocr", action="store_true", help="skip the scanned PDF")
    args = parser.parse_args()
    files = sorted(FIXTURES.glob("*.txt"))
    parse_file(files[0])  # imports and regex compilation are not per document
    slowest = 0.0
    start = time.perf_counter()
    for path in islice(cycle(files), args.documents):
        began = time.perf_counter()
        parse_file(path)
        slowest = max(slowest, time.perf_counter() - began)
    took = time.perf_counter() - start
    print(
        f"parsed {args.documents:,} documents in {took:.2f} s: {args.documents / took:,.0f} "
        f"documents/s, {took / args.documents * 1000:.2f} ms each on average, "
        f"slowest {slowest * 1000:.2f} ms (goal well under 50 ms)"
    )
    bench_pdfs(args.runs, not args.no_ocr)


if __name__ == "__main__":
    main()
