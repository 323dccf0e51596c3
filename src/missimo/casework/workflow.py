"""The workflow of a Prüffall as data: which status may follow which, and when a reason is required.

    neu ──► in Prüfung ──► Kontrolle geplant ──► kontrolliert ──► Maßnahmen ──► abgeschlossen
     │         │  ▲  │            │                   │                             │
     │         │  └──┼────────────┘ (Kontrolle abgesagt)                            │
     │         │     └──► Maßnahmen (ohne Kontrolle)   └──► abgeschlossen           │
     └─────────┴──► verworfen (Begründung)                                          │
    verworfen / abgeschlossen ──► in Prüfung: "wieder aufnehmen" (Begründung) ◄─────┘

Reopening goes back to "in Prüfung", never straight to a later step: whoever reopens a case looks
at it again first. Documented for case workers in docs/handbuch/aktionen-und-faelle.md.
"""

from __future__ import annotations

from missimo.casework.models import CaseStatus

S = CaseStatus

TRANSITIONS: dict[str, set[str]] = {
    S.NEU: {S.IN_PRUEFUNG, S.VERWORFEN},
    S.IN_PRUEFUNG: {S.KONTROLLE_GEPLANT, S.MASSNAHMEN, S.VERWORFEN},
    S.KONTROLLE_GEPLANT: {S.KONTROLLIERT, S.IN_PRUEFUNG},
    S.KONTROLLIERT: {S.MASSNAHMEN, S.ABGESCHLOSSEN},
    S.MASSNAHMEN: {S.ABGESCHLOSSEN},
    S.VERWORFEN: {S.IN_PRUEFUNG},
    S.ABGESCHLOSSEN: {S.IN_PRUEFUNG},
}

# Final states; leaving one is "wieder aufnehmen" and needs a reason.
CLOSED: frozenset[str] = frozenset({S.VERWORFEN, S.ABGESCHLOSSEN})

# The button text of each step (German, as the case page shows it).
_ACTION_LABELS: dict[tuple[str, str], str] = {
    (S.NEU, S.IN_PRUEFUNG): "Prüfung beginnen",
    (S.IN_PRUEFUNG, S.KONTROLLE_GEPLANT): "Kontrolle planen",
    (S.IN_PRUEFUNG, S.MASSNAHMEN): "Maßnahmen einleiten (ohne Kontrolle)",
    (S.KONTROLLE_GEPLANT, S.KONTROLLIERT): "Kontrolle durchgeführt",
    (S.KONTROLLE_GEPLANT, S.IN_PRUEFUNG): "Kontrolle absagen (zurück in Prüfung)",
    (S.KONTROLLIERT, S.MASSNAHMEN): "Maßnahmen einleiten",
    (S.KONTROLLIERT, S.ABGESCHLOSSEN): "Abschließen (keine Maßnahmen nötig)",
    (S.MASSNAHMEN, S.ABGESCHLOSSEN): "Abschließen",
}


def is_allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, set())


def is_reopen(from_status: str, to_status: str) -> bool:
    return from_status in CLOSED and to_status == S.IN_PRUEFUNG


def reason_required(from_status: str, to_status: str) -> bool:
    """Discarding a case and reopening a closed one must be justified."""
    return to_status == S.VERWORFEN or is_reopen(from_status, to_status)


def action_label(from_status: str, to_status: str) -> str:
    if to_status == S.VERWORFEN:
        return "Verwerfen"
    if is_reopen(from_status, to_status):
        return "Wieder aufnehmen"
    return _ACTION_LABELS.get((from_status, to_status), f"Status „{CaseStatus(to_status).label}“ setzen")


def allowed_targets(from_status: str) -> list[str]:
    """The next statuses in workflow order (the order of CaseStatus)."""
    targets = TRANSITIONS.get(from_status, set())
    return [status for status in CaseStatus.values if status in targets]
