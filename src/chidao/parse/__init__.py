"""Read a công văn as the office wrote it: dispatch text → the parser's JSON object.

``parse_lines`` is pure (lines in, a dict out); ``parse_file`` reads .txt, .docx or .pdf
first (``reading``), and adds the reader's warnings: pages read by OCR, and each field
whose text came from OCR, to be checked against the page.
Every key is always present (null or [] when absent), and what was expected but not found
is said in ``warnings``. The parts live in ``header``, ``body`` and ``signature``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pendulum

from chidao.clock import TZ
from chidao.i18n import N_
from chidao.parse.body import find_references, parse_body
from chidao.parse.header import parse_header
from chidao.parse.reading import Source, read_source
from chidao.parse.signature import parse_footer

KEYS = (
    "number",
    "symbol",
    "code",
    "issuer",
    "issuer_parent",
    "place",
    "date",
    "subject",
    "urgency",
    "secrecy",
    "recipients",
    "recipient_levels",
    "references",
    "items",
    "deadlines",
    "contacts",
    "signer",
    "distribution",
    "warnings",
)


def _due(moment) -> str:
    return pendulum.instance(moment, tz=TZ).isoformat()


def _merge_references(groups: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for refs in groups:
        for ref in refs:
            seen = merged.get(ref["code"])
            if seen is None:
                merged[ref["code"]] = dict(ref)
            else:
                for key in ("date", "issuer"):
                    seen[key] = seen[key] or ref[key]
    return list(merged.values())


def _warnings(result: dict[str, Any], body_found: bool) -> list[str]:
    checks = (
        (result["number"] is None, N_("no document number found (Số: …/…)")),
        (result["date"] is None, N_("no date of issue found (or the date is still blank)")),
        (result["subject"] is None, N_("no subject found (V/v …)")),
        (not result["recipients"], N_("no Kính gửi (addressees) part found")),
        (
            result["recipients"] and not result["recipient_levels"],
            N_("the school levels of the addressees could not be told"),
        ),
        (
            not result["deadlines"],
            N_("no report deadline found; the workflow's default deadline will be used"),
        ),
        (result["signer"] is None, N_("no signature part found")),
        (not result["distribution"], N_("no Nơi nhận (distribution) part found")),
        (not body_found, N_("no body text found")),
    )
    return [message for missing, message in checks if missing]


def parse_lines(lines: list[str]) -> dict[str, Any]:
    header = parse_header(lines)
    code = f"{header.number}/{header.symbol}" if header.number and header.symbol else None
    year = header.year or (header.date.year if header.date else None)
    body = parse_body(lines, header.end, year, code, header.earliest)
    footer = parse_footer(lines, body.end, header.end)
    subject_refs = find_references(header.subject or "", year, code)
    result: dict[str, Any] = {
        "number": header.number,
        "symbol": header.symbol,
        "code": code,
        "issuer": header.issuer,
        "issuer_parent": header.issuer_parent,
        "place": header.place,
        "date": header.date.isoformat() if header.date else None,
        "subject": header.subject,
        "urgency": header.urgency,
        "secrecy": header.secrecy,
        "recipients": body.recipients,
        "recipient_levels": body.recipient_levels,
        "references": _merge_references([subject_refs, body.references]),
        "items": body.items,
        "deadlines": [
            {
                "text": d["text"],
                "item": d["item"],
                "due": _due(d["moment"].due) if d["moment"].due else None,
                "relative": d["moment"].relative,
                "recurring": d["moment"].recurring,
            }
            for d in body.deadlines
        ],
        "contacts": body.contacts,
        "signer": footer.signer,
        "distribution": footer.distribution,
    }
    result["warnings"] = _warnings(result, bool(body.items or body.references)) + body.warnings
    return {key: result[key] for key in KEYS}


# Fields a clerk checks against the page when they came from OCR, with their names.
OCR_FIELDS = {
    "number": N_("the document number"),
    "symbol": N_("the document symbol"),
    "date": N_("the date of issue"),
    "issuer": N_("the issuing body"),
    "issuer_parent": N_("the parent body"),
    "place": N_("the place name"),
    "subject": N_("the subject"),
    "urgency": N_("the urgency"),
    "secrecy": N_("the secrecy"),
    "recipients": N_("the addressees (Kính gửi)"),
    "references": N_("the documents cited"),
    "items": N_("the numbered tasks"),
    "deadlines": N_("the deadlines"),
    "contacts": N_("the contact people"),
    "signer": N_("the signer"),
    "distribution": N_("the distribution list (Nơi nhận)"),
}


def _field_text(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _field_text(v)]
    if isinstance(value, list):
        return [t for v in value for t in _field_text(v)]
    return [str(value)] if isinstance(value, str) and value else []


def _ocr_warnings(result: dict[str, Any], source: Source) -> list[str]:
    """One warning per field read from OCR: every found field when every page was a scan,
    else the fields whose text is on a scanned page (the date goes with its place); and
    one for a number or day that the scan shows but OCR could not read (handwritten)."""
    if not source.ocr_lines:
        return []
    ocr_text = " ".join(source.ocr_lines)

    def scanned(key: str) -> bool:
        texts = _field_text(result["place"] if key == "date" else result[key])
        return source.all_ocr or any(t in ocr_text for t in texts)

    flagged = [
        N_("{field} read by OCR from a scan: check it against the original").format(field=field)
        for key, field in OCR_FIELDS.items()
        if result[key] and scanned(key)
    ]
    unread = N_("{field} on the scan is handwritten or unreadable: type it in from the original")
    if result["number"] is None and result["symbol"] and scanned("symbol"):
        flagged.append(unread.format(field=OCR_FIELDS["number"]))
    if result["date"] is None and result["place"] and scanned("place"):
        flagged.append(unread.format(field=OCR_FIELDS["date"]))
    return flagged


def parse_file(path: str | Path) -> dict[str, Any]:
    """Read and parse a dispatch file (.txt, .docx, .pdf)."""
    source = read_source(path)
    result = parse_lines(source.lines)
    result["warnings"] = source.warnings + result["warnings"] + _ocr_warnings(result, source)
    return result
