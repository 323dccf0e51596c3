"""The outcomes section of a case page (called by casework.panels): per hint of the case that the
user may see, the outcome and measures of the user's agency (the coordination office sees every
agency's), and the case's letters the user may see."""

from __future__ import annotations

from django.template.loader import render_to_string

from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.outcomes import services
from missimo.outcomes.models import AgencyMeasure, Outcome


def case_panel(request, case) -> str:
    user = request.user
    recording = services.may_record(user)
    writer = services.may_write_letters(user)
    if not recording and not services.may_see_letters(user):
        return ""
    coordination = services.is_coordination(user)
    hints = list(
        case.hints.filter(pk__in=services.recordable_hints(user).values("pk")).order_by("rule", "primary_ref")
    )
    outcomes = Outcome.objects.filter(hint__in=hints).select_related("agency")
    measures = (
        AgencyMeasure.objects.filter(hint__in=hints).select_related("agency").order_by("taken_on", "pk")
    )
    if not coordination:
        outcomes = outcomes.filter(agency=user.agency_id)
        measures = measures.filter(agency=user.agency_id)
    by_hint: dict[int, dict] = {h.pk: {"hint": h, "outcomes": [], "measures": []} for h in hints}
    for outcome in outcomes:
        by_hint[outcome.hint_id]["outcomes"].append(outcome)
    for measure in measures:
        by_hint[measure.hint_id]["measures"].append(measure)
    letters = list(services.letters_for(user).filter(case=case).select_related("recipient"))
    if not by_hint and not letters and not writer:
        return ""
    if outcomes or letters:
        record(
            user,
            AuditAction.READ,
            object_type="case_outcomes",
            object_id=case.aktenzeichen,
            purpose="Ergebnisse, Maßnahmen und Schreiben im Prüffall",
            details={
                "outcomes": [o.pk for o in outcomes],
                "measures": [m.pk for m in measures],
                "letters": [letter.pk for letter in letters],
            },
            request=request,
        )
    return render_to_string(
        "outcomes/_panel.html",
        {
            "case": case,
            "rows": list(by_hint.values()),
            "recording": recording,
            "coordination": coordination,
            "letters": letters,
            "writer": writer,
            "rule_titles": services.RULE_TITLES,
        },
        request=request,
    )
