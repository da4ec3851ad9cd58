"""Whom an escalation rung reaches: the signatory chain read from a directive and the org.

The chain climbs: the specialist for the school's level → the signer → the one the signer
signed for (KT./TL./TUQ. → the head; no prefix, Q. or TM. alone → the parent body) → the
office's head → the parent body. A target that cannot be named (the signer is not in the
org file, no specialist covers the level) falls back to the next one up, and says so.
Pure: one resolver per office, one call per (directive, rung, level), never per task.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chidao.model import Office, Person

CHAIN = ("level_contact", "signer", "signer.principal", "office_head", "parent_body")
LABELS = {
    "level_contact": "chuyên viên phụ trách cấp học",
    "signer": "người ký văn bản",
    "signer.principal": "thủ trưởng mà người ký ký thay",
    "office_head": "thủ trưởng cơ quan",
    "parent_body": "cơ quan cấp trên",
}
SIGNS_FOR_HEAD = {"KT", "TL", "TUQ"}  # the signer signs for the head of the office


@dataclass(frozen=True)
class Reached:
    """Where a rung lands: the target it ended on, a person (or a body), and why."""

    target: str
    person_id: str | None
    name: str
    note: str = ""


def document_problem(document: Any) -> str | None:
    """Why a stored directive document cannot be used to find whom a rung reaches (the
    parts ``Resolver`` reads: ``signer`` and ``contacts``), or None when it can.

    Documents are validated when issued; one changed in the database afterwards is named
    and skipped by the sweep instead of stopping it for every other directive."""
    if not isinstance(document, Mapping):
        return f"the document is {type(document).__name__}, not a mapping"
    signer = document.get("signer")
    problem = _signer_problem(signer) if signer is not None else None
    if problem:
        return problem
    contacts = document.get("contacts") or []
    if not isinstance(contacts, list) or not all(
        isinstance(c, Mapping) and isinstance(c.get("name") or "", str) for c in contacts
    ):
        return "contacts is not a list of mappings with a name"
    return None


def _signer_problem(signer: Any) -> str | None:
    if not isinstance(signer, Mapping):
        return f"signer is {type(signer).__name__}, not a mapping"
    chain = signer.get("chain") or []
    if not isinstance(chain, list) or not all(isinstance(c, Mapping) for c in chain):
        return "signer.chain is not a list of mappings"
    if not isinstance(signer.get("name") or "", str):
        return "signer.name is not text"
    return None


def _key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


class Resolver:
    """Resolves targets for the directives of one office."""

    def __init__(self, office: Office, people: Iterable[Person]) -> None:
        self.office = office
        self.people = sorted((p for p in people if p.office == office.code), key=lambda p: p.id)
        self.by_name = {_key(p.name): p for p in self.people}
        self.head = next((p for p in self.people if p.head), None)

    def resolve(self, document: Mapping[str, Any], target: str, level: str = "") -> Reached:
        """Try ``target``, then each one above it, until someone can be named."""
        reasons: list[str] = []
        for candidate in CHAIN[CHAIN.index(target) :]:
            found, reason = self._one(document, candidate, level)
            if found is not None:
                if reasons:
                    found = Reached(
                        found.target,
                        found.person_id,
                        found.name,
                        "; ".join(reasons) + f" → chuyển lên {LABELS[candidate]}",
                    )
                return found
            reasons.append(reason)
        raise AssertionError("parent_body always resolves")  # pragma: no cover

    def _person(self, target: str, person: Person) -> Reached:
        return Reached(target, person.id, person.name)

    def _one(self, doc: Mapping[str, Any], target: str, level: str) -> tuple[Reached | None, str]:
        """One target, no fallback: where it lands, or why it cannot be named."""
        signer = doc.get("signer") or {}
        if target == "level_contact":
            return self._level_contact(doc, level)
        if target == "signer":
            return self._signer(signer)
        if target == "signer.principal":
            if not signer:
                return None, "văn bản không ghi người ký"
            authorities = {
                str(c.get("authority") or "").upper().rstrip(".") for c in signer.get("chain") or []
            }
            if not authorities & SIGNS_FOR_HEAD:
                # the head signed (or an acting head, or a body's chairman): above is the body
                return self._parent_body(), ""
            return self._head(target)
        if target == "office_head":
            return self._head(target)
        return self._parent_body(), ""

    def _level_contact(self, doc: Mapping[str, Any], level: str) -> tuple[Reached | None, str]:
        """The specialist the directive names for this level, else the org's for the level."""
        for contact in doc.get("contacts") or []:
            if contact.get("level") == level and contact.get("name"):
                person = self.by_name.get(_key(contact["name"]))
                if person:
                    return self._person("level_contact", person), ""
        for person in self.people:
            if level and level in person.levels:
                return self._person("level_contact", person), ""
        return None, f"không có chuyên viên phụ trách cấp {level or '?'}"

    def _signer(self, signer: Mapping[str, Any]) -> tuple[Reached | None, str]:
        name = signer.get("name")
        if not name:
            return None, "văn bản không ghi người ký"
        person = self.by_name.get(_key(name))
        if person is None:
            return None, f"người ký {name} không có trong danh sách cán bộ"
        return self._person("signer", person), ""

    def _head(self, target: str) -> tuple[Reached | None, str]:
        if self.head is None:
            return None, "cơ quan chưa khai báo thủ trưởng (head: true)"
        return self._person(target, self.head), ""

    def _parent_body(self) -> Reached:
        body = self.office.parent_body or f"Cơ quan cấp trên của {self.office.name}"
        return Reached("parent_body", None, body)
