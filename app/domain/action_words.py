"""How each kind of treaty action says its receipt and its effect, in the calendar and on the
case page: an accession enters into force for the State, a cessation ends its membership, a
withdrawal (and every other kind) takes effect."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionWords:
    received: str  # the calendar's entry for the depositary's receipt
    title: str  # the calendar's title of the effective day
    takes: str  # the effect still to come ...
    took: str  # ... and reached
    heading: str  # the case page's heading of the effective date


_WORDS = {
    "withdrawal": ActionWords(
        "Instrument of withdrawal received; the notice period starts",
        "withdrawal takes effect",
        "Withdrawal takes effect",
        "Withdrawal took effect",
        "Takes effect",
    ),
    "accession": ActionWords(
        "Instrument of accession received; the period to entry into force starts",
        "entry into force for the State",
        "The treaty enters into force for the State",
        "The treaty entered into force for the State",
        "Enters into force for the State",
    ),
    "cessation": ActionWords(
        "Decision on membership notified",
        "membership ends",
        "Membership ends",
        "Membership ended",
        "Membership ends",
    ),
}


# Each kind of treaty action as the pages name it (the workflows' `kind` is an id).
KIND_LABELS = {
    "withdrawal": "Withdrawal",
    "accession": "Accession",
    "cessation": "Cessation of membership",
    "deratification": "De-ratification",
    "suspension_claim": "Suspension claim",
}


def kind_label(kind: str) -> str:
    """The kind in words: `deratification` is "De-ratification"."""
    return KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize()


def action_words(kind: str) -> ActionWords:
    """The words of `kind` (a workflow's kind), a withdrawal's for the kinds without their own."""
    return _WORDS.get(kind, _WORDS["withdrawal"])
