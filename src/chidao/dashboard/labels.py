"""The dashboard's words, written in English and shown through the catalog (``chidao.i18n``)."""

from __future__ import annotations

from chidao.i18n import N_, _, using

WORDS = {  # English as written in the code; shown through the catalog (chidao.i18n)
    "title": N_("chidao · directives being followed"),
    "offices": N_("{n} offices"),
    "desk": N_("On {name}'s desk"),
    "unit_title": N_("Tasks of {name}"),
    "directives": N_("Open directives"),
    "code": N_("Directive"),
    "subject": N_("Subject"),
    "due": N_("Due"),
    "progress": N_("Progress"),
    "overdue": N_("Overdue"),
    "rung": N_("Escalation"),
    "levels": N_("By school level"),
    "level": N_("Level"),
    "total": N_("Total"),
    "reported": N_("Reported"),
    "open": N_("Open"),
    "quality": N_("Completion"),
    "on_time": N_("Done on time"),
    "late": N_("Done late"),
    "open_in_time": N_("Open, within time"),
    "open_overdue": N_("Open, overdue"),
    "overdue_list": N_("Overdue, not reported ({n})"),
    "unit": N_("Unit"),
    "days_late": N_("Late"),
    "reached": N_("Reached"),
    "contact": N_("Contact"),
    "days": N_("{n} working days late"),
    "soon": N_("Due within {d} working days ({n})"),
    "state": N_("State"),
    "none_overdue": N_("No unit is overdue."),
    "none_soon": N_("Nothing falls due soon."),
    "empty": N_("no directives yet — try chidao demo"),
    "nothing_open": N_("No directive is open."),
    "next": N_("Next step"),
    "no_task": N_("Unit {unit} has no tasks."),
    "left": N_("{n} working days left"),
    "today": N_("due today"),
    "no_due": N_("no due yet"),
    "period": N_("period {p}"),
    "below": N_("below"),
    "waiting": N_("Waiting for an event / no due yet"),
    "wait_event": N_("waiting for «{e}»"),
    "wait_receipt": N_("receipt not acknowledged"),
    "pending": N_("Extension requests awaiting decision ({n})"),
    "asked": N_("Asked until"),
    "asked_on": N_("Asked at"),
}


def words(lang: str | None = None) -> dict[str, str]:
    """The dashboard's words in ``lang`` (None: the current language)."""
    with using(lang):
        return {key: _(text) for key, text in WORDS.items()}
