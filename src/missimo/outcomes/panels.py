"""The outcomes section of a case page (registered in apps.py for the slots "case" and "property"): per hint of the case that the
user may see, the outcome and measures of the user's agency (the coordination office sees every
agency's), and the case's letters the user may see."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from missimo import engine
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core import extensions
from missimo.outcomes import calibration, services
from missimo.outcomes import letters as letter_work
from missimo.outcomes.forms import OutcomeForm
from missimo.outcomes.models import AgencyMeasure, LetterStatus, Outcome
from missimo.runs.models import Run, RunStatus


def case_panel(request, case) -> str:
    user = request.user
    recording = services.may_record(user)
    writer = letter_work.may_write_letters(user)
    if not recording and not letter_work.may_see_letters(user):
        return ""
    coordination = services.sees_all_agencies(user)
    hints = list(
        case.hints.filter(pk__in=services.recordable_hints(user).values("pk")).order_by("rule", "primary_ref")
    )
    # Outcomes and measures recorded on the same hint in an earlier run count too (same hint id).
    hint_ids = [h.hint_id for h in hints]
    outcomes = (
        Outcome.objects.filter(hint__hint_id__in=hint_ids).select_related("agency", "hint").order_by("-pk")
    )
    measures = (
        AgencyMeasure.objects.filter(hint__hint_id__in=hint_ids)
        .select_related("agency", "hint")
        .order_by("taken_on", "pk")
    )
    if not coordination:
        outcomes = outcomes.filter(agency=user.agency_id)
        measures = measures.filter(agency=user.agency_id)
    by_hint: dict[str, dict] = {h.hint_id: {"hint": h, "outcomes": [], "measures": []} for h in hints}
    seen = set()
    for outcome in outcomes:
        if (outcome.hint.hint_id, outcome.agency_id) not in seen:  # the current one per agency
            seen.add((outcome.hint.hint_id, outcome.agency_id))
            by_hint[outcome.hint.hint_id]["outcomes"].append(outcome)
    for measure in measures:
        by_hint[measure.hint.hint_id]["measures"].append(measure)
    letters = list(letter_work.letters_for(user).filter(case=case).select_related("recipient", "owner"))
    # Outcomes on the case itself (a case without a hint, or a finding not tied to one hint).
    case_outcomes = list(
        Outcome.objects.filter(case=case, hint__isnull=True)
        .filter(**({} if coordination else {"agency": user.agency_id}))
        .select_related("agency")
    )
    own_case_outcome = services.case_outcome(user, case) if recording else None
    if not by_hint and not letters and not writer and not recording:
        return ""
    if outcomes or letters or case_outcomes:
        record(
            user,
            AuditAction.READ,
            object_type="case_outcomes",
            object_id=case.aktenzeichen,
            purpose="Ergebnisse, Maßnahmen und Schreiben im Prüffall",
            details={
                "outcomes": [o.pk for o in outcomes] + [o.pk for o in case_outcomes],
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
            "case_outcomes": case_outcomes,
            "own_case_outcome": own_case_outcome,
            "case_outcome_form": OutcomeForm(outcome=own_case_outcome, prefix="fall") if recording else None,
        },
        request=request,
    )


def property_panel(request, prop) -> str:
    """The outcomes section of a property page (called by properties.views): the recorded outcomes
    and measures on this property's hints the user may see, and the letters of its cases."""
    user = request.user
    if not services.may_record(user) and not letter_work.may_see_letters(user):
        return ""
    visible = services.recordable_hints(user).filter(objekt_id=prop.objekt_id).values("pk")
    outcomes = list(services.outcomes_for(user).filter(hint__in=visible).select_related("hint", "agency"))
    measures = list(
        services.measures_for(user)
        .filter(hint__in=visible)
        .select_related("hint", "agency")
        .order_by("taken_on", "pk")
    )
    letters = list(
        letter_work.letters_for(user).filter(case__property=prop).select_related("recipient", "owner", "case")
    )
    if not outcomes and not measures and not letters:
        return ""
    record(
        user,
        AuditAction.READ,
        object_type="property_outcomes",
        object_id=prop.objekt_id,
        purpose="Ergebnisse, Maßnahmen und Schreiben zu einem Objekt",
        details={
            "outcomes": [o.pk for o in outcomes],
            "measures": [m.pk for m in measures],
            "letters": [letter.pk for letter in letters],
        },
        request=request,
    )
    return render_to_string(
        "outcomes/_property_panel.html",
        {
            "outcomes": outcomes,
            "measures": measures,
            "letters": letters,
            "coordination": services.sees_all_agencies(user),
            "rule_titles": services.RULE_TITLES,
        },
        request=request,
    )


URGENT = mark_safe(
    '<span class="kern-badge kern-badge--danger"><span class="kern-label">dringend</span></span> '
)


def start_todo(request, user) -> str:
    """The start page's to-do entries of outcomes: measures whose Wiedervorlage is due and letters of
    the user whose reply is overdue (urgent), letters awaiting release by a second person of the
    coordination office (not the ones the user wrote: four-eyes)."""
    items = []
    today = timezone.localdate()
    if services.may_record(user):
        due = (
            services.measures_for(user)
            .active()
            .filter(agency=user.agency_id, follow_up_date__lte=today)
            .count()
        )
        if due:
            items.append(
                format_html(
                    '<li>{}<a class="kern-link" href="{}">{} Maßnahmen mit fälliger Wiedervorlage</a></li>',
                    URGENT,
                    reverse("outcomes:list"),
                    due,
                )
            )
    if letter_work.may_write_letters(user):
        overdue = (
            letter_work.letters_for(user)
            .filter(
                author=user, reply_due__lt=today, status__in=(LetterStatus.FREIGEGEBEN, LetterStatus.VERSANDT)
            )
            .count()
        )
        if overdue:
            items.append(
                format_html(
                    '<li>{}<a class="kern-link" href="{}">{} Schreiben mit überschrittener Antwortfrist</a></li>',
                    URGENT,
                    reverse("outcomes:letters"),
                    overdue,
                )
            )
        waiting = (
            letter_work.letters_for(user)
            .filter(status=LetterStatus.ZUR_FREIGABE)
            .exclude(author=user)
            .count()
        )
        if waiting:
            items.append(
                format_html(
                    '<li><a class="kern-link" href="{}?status={}">{} Schreiben warten auf Ihre Freigabe</a></li>',
                    reverse("outcomes:letters"),
                    LetterStatus.ZUR_FREIGABE.value,
                    waiting,
                )
            )
    return mark_safe("".join(items))  # noqa: S308 - every item built by format_html


def due_items(user, mine: bool) -> list[extensions.DueItem]:
    """The Fristen page's dates of outcomes (registered in apps.py), scoped as the start page's
    to-do list scopes them: the Wiedervorlagen of the active measures of the user's own agency, and
    the reply dates of released or sent letters the user wrote (with `mine` off: every such letter the
    user may see). The ICS file names only kind and title; place and note are for the page."""
    items: list[extensions.DueItem] = []
    if services.may_record(user):
        measures = (
            services.measures_for(user)
            .active()
            .filter(agency=user.agency_id, follow_up_date__isnull=False)
            .select_related("hint", "case__property")
        )
        for measure in measures:
            case = measure.case
            items.append(
                extensions.DueItem(
                    kind="Wiedervorlage Maßnahme",
                    date=measure.follow_up_date,
                    title=case.aktenzeichen if case else measure.hint.hint_id,
                    url=reverse("outcomes:hint", args=[measure.hint_id]),
                    uid=f"massnahme-{measure.pk}-{measure.follow_up_date:%Y%m%d}",
                    place=case.property.address if case and case.property_id else measure.hint.address,
                    note=f"{measure.get_kind_display()} vom {measure.taken_on:%d.%m.%Y}",
                )
            )
    if letter_work.may_write_letters(user):
        letters = letter_work.letters_for(user).filter(
            reply_due__isnull=False, status__in=(LetterStatus.FREIGEGEBEN, LetterStatus.VERSANDT)
        )
        if mine:
            letters = letters.filter(author=user)
        for letter in letters.select_related("case__property"):
            items.append(
                extensions.DueItem(
                    kind="Antwort erwartet",
                    date=letter.reply_due,
                    title=letter.case.aktenzeichen,
                    url=reverse("outcomes:letter", args=[letter.pk]),
                    uid=f"schreiben-{letter.pk}-{letter.reply_due:%Y%m%d}",
                    place=letter.case.property.address if letter.case.property_id else "",
                    note=f"Schreiben „{letter.subject}“ ({letter.get_status_display()})",
                )
            )
    return items


WEIGHT_LABELS = {
    "agencies": "Behörden mit Hinweisen",
    "rules": "Regeln",
    "hints": "Hinweise",
    "persons": "Personen",
    "money": "Geldbetrag je Monat",
}


def _calibrated(weights: dict | None) -> bool:
    return bool(weights) and {k: float(v) for k, v in weights.items()} != dict(engine.WEIGHTS)


def run_calibration_panel(request, run) -> str:
    """The run page's read-only status of the ranking's calibration (ADR 0009), for the coordination
    office: the weights this run ranked with (fixed or calibrated, with the run's date), and whether
    the next run ranks with fixed weights (and how many decided properties there are of the ones
    needed) or calibrated ones (and since which run)."""
    if not services.sees_all_agencies(request.user):
        return ""
    weights = (run.settings_used or {}).get("ranking_weights")
    last = next(
        (
            r
            for r in Run.objects.filter(status=RunStatus.FINISHED)
            .order_by("-pk")
            .only("pk", "settings_used", "started_at", "created_at")[:50]
            if _calibrated((r.settings_used or {}).get("ranking_weights"))
        ),
        None,
    )
    return render_to_string(
        "outcomes/_calibration.html",
        {
            "run_calibrated": _calibrated(weights),
            "run_day": run.started_at or run.created_at,
            "run_weights": [
                (WEIGHT_LABELS.get(name, name), float(weights.get(name, fixed)), fixed)
                for name, fixed in engine.WEIGHTS.items()
            ]
            if weights
            else [],
            "current": calibration.calibration(),
            "last_calibrated": last,
            "last_calibrated_day": (last.started_at or last.created_at) if last else None,
        },
        request=request,
    )
