"""Named operations on outcomes, measures and letters.

Need-to-know: an agency records outcomes and measures only for hints it may see
(`runs.services.hints_for`), always for its own agency; it sees only its own records, the
coordination office sees all. Letters are drafted and released by the coordination office with
four-eyes approval (a second person, never the author); the recipient agency sees a letter in
MISSIMO only once it is released.

Figures for reports (no personal data, inclusive date periods, optional `agency`):
`money_stopped`, `reclaimed`, `projected_savings_total`, `outcome_counts`, `measure_counts`,
`summary`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import CharField, Count, DateField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from missimo.accounts.models import Agency
from missimo.accounts.roles import ROLES_WITH_PERSONAL_DATA, Role
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core import errors, tables
from missimo.core.params import row_id
from missimo.engine import rules as engine_rules
from missimo.outcomes import letters as placeholders
from missimo.outcomes.models import (
    AgencyMeasure,
    Letter,
    LetterEvent,
    LetterStatus,
    LetterTemplate,
    MeasureKind,
    Outcome,
    OutcomeResult,
    OutcomeRevision,
)
from missimo.outcomes.savings import birth_date_of, projected_savings
from missimo.runs.models import Hint, Run
from missimo.runs.services import hints_for, latest_run

RULE_TITLES = {rule.code: rule.title for rule in engine_rules.RULES}

# Roles whose agencies record outcomes and measures (those that see hints).
RECORDING_ROLES = (
    Role.KOORDINIERUNG,
    Role.FAMILIENKASSE,
    Role.JOBCENTER,
    Role.SCHULAMT,
    Role.JUGENDAMT,
    Role.GESUNDHEITSAMT,
    Role.BAUAUFSICHT,
)
# Agencies a letter can go to (their staff may see released letters addressed to them).
RECIPIENT_KINDS = (
    "familienkasse",
    "jobcenter",
    "schulamt",
    "jugendamt",
    "gesundheitsamt",
    "bauaufsicht",
    "polizei",
)


class Refused(errors.Refused):
    """An outcome, measure or letter operation this user may not do, or not in this state."""


class Conflict(errors.Conflict):
    """Somebody else saved an outcome, measure, letter or template in between (stale `version`)."""


def _actor_name(user) -> str:
    name = user.display_name
    return f"{name} ({user.agency})" if user.agency_id else name


def is_coordination(user) -> bool:
    return user.is_authenticated and user.has_role(Role.KOORDINIERUNG)


def may_record(user) -> bool:
    return user.is_authenticated and user.agency_id is not None and user.has_role(*RECORDING_ROLES)


def recordable_hints(user) -> QuerySet[Hint]:
    """Hints this user's agency may record an outcome for."""
    return hints_for(user) if may_record(user) else Hint.objects.none()


def outcomes_for(user) -> QuerySet[Outcome]:
    if is_coordination(user):
        return Outcome.objects.all()
    if not may_record(user):
        return Outcome.objects.none()
    return Outcome.objects.filter(agency=user.agency_id, hint__in=hints_for(user).values("pk"))


def measures_for(user) -> QuerySet[AgencyMeasure]:
    if is_coordination(user):
        return AgencyMeasure.objects.all()
    if not may_record(user):
        return AgencyMeasure.objects.none()
    return AgencyMeasure.objects.filter(agency=user.agency_id, hint__in=hints_for(user).values("pk"))


def visible_cases(user):
    from missimo.casework.services import cases_for

    return cases_for(user)


def case_of(user, hint: Hint, case_pk) -> object | None:
    """The case (visible to the user, containing the hint) an outcome is recorded in; None if none fits."""
    cases = visible_cases(user).filter(hints=hint)
    if case_pk:
        pk = row_id(case_pk)
        return cases.filter(pk=pk).first() if pk else None
    return cases.order_by("-created_at").first()


# --- outcomes ---------------------------------------------------------------------------------


def _same_hint(hint: Hint, agency_id) -> QuerySet[Outcome]:
    """Outcomes of an agency on this hint in any run: a hint keeps its id (rule + primary record)
    from run to run, and an outcome recorded on it in an earlier run is still its outcome."""
    return Outcome.objects.filter(hint__hint_id=hint.hint_id, agency=agency_id).order_by("-pk")


def own_outcome(user, hint: Hint) -> Outcome | None:
    """The current outcome of the user's agency on this hint (recorded in this or an earlier run)."""
    if not user.agency_id:
        return None
    return _same_hint(hint, user.agency_id).select_related("hint__run").first()


def _require_recordable(user, hint: Hint) -> None:
    if not may_record(user) or not recordable_hints(user).filter(pk=hint.pk).exists():
        raise Refused("Für diesen Hinweis dürfen Sie kein Ergebnis erfassen.")


def record_outcome(
    user,
    hint: Hint,
    *,
    result: str,
    decided_on: dt.date,
    note: str = "",
    case=None,
    version: int = 0,
    request=None,
) -> Outcome:
    """Record (version 0) or correct (version = the one the form showed) the outcome of the user's
    agency on `hint`. A correction keeps the previous values as an OutcomeRevision. An outcome
    recorded on the same hint (same hint id) in an earlier run is the one corrected."""
    _require_recordable(user, hint)
    if result not in OutcomeResult.values:
        raise Refused("Bitte wählen Sie ein Ergebnis.")
    if case is not None and not case.hints.filter(pk=hint.pk).exists():
        raise Refused("Der Hinweis gehört nicht zu diesem Prüffall.")
    name = _actor_name(user)
    try:
        with transaction.atomic():
            current = _same_hint(hint, user.agency_id).select_for_update(of=("self",)).first()
            if current is None:
                if version:
                    raise Conflict
                outcome = Outcome.objects.create(
                    hint=hint,
                    case=case,
                    agency_id=user.agency_id,
                    result=result,
                    decided_on=decided_on,
                    note=note,
                    created_by=user,
                    created_by_name=name,
                )
                changes = [{"field": "Ergebnis", "old": "", "new": outcome.get_result_display()}]
                action = AuditAction.CREATE
            else:
                if current.version != version:
                    raise Conflict
                before = (current.result, current.decided_on, current.note, current.case_id)
                after = (result, decided_on, note, case.pk if case is not None else current.case_id)
                if before == after:
                    return current
                OutcomeRevision.objects.create(
                    outcome=current,
                    version=current.version,
                    result=current.result,
                    decided_on=current.decided_on,
                    note=current.note,
                    recorded_by_name=current.updated_by_name or current.created_by_name,
                    replaced_by_name=name,
                )
                changes = [
                    {"field": label, "old": old, "new": new}
                    for label, old, new in (
                        (
                            "Ergebnis",
                            current.get_result_display(),
                            str(OutcomeResult(result).label),
                        ),
                        ("festgestellt am", f"{current.decided_on:%d.%m.%Y}", f"{decided_on:%d.%m.%Y}"),
                        ("Vermerk", current.note, note),
                    )
                    if old != new
                ]
                current.result, current.decided_on, current.note = result, decided_on, note
                if case is not None:
                    current.case = case
                current.updated_by, current.updated_by_name = user, name
                current.version += 1
                current.save()
                outcome = current
                action = AuditAction.CHANGE
    except IntegrityError as clash:  # two first entries at the same moment
        raise Conflict from clash
    record(
        user,
        action,
        object_type="outcome",
        object_id=outcome.pk,
        purpose="Ergebnis zu einem Hinweis erfasst"
        if action == AuditAction.CREATE
        else "Ergebnis berichtigt",
        details={
            "hint": hint.hint_id,
            "run": hint.run_id,
            "case": outcome.case.aktenzeichen if outcome.case_id else None,
            "result": outcome.result,
            "version": outcome.version,
            "changes": changes,
        },
        request=request,
    )
    return outcome


# --- measures ---------------------------------------------------------------------------------


def default_monthly_amount(hint: Hint) -> Decimal | None:
    return hint.amount_monthly


def add_measure(
    user,
    hint: Hint,
    *,
    kind: str,
    taken_on: dt.date,
    monthly_amount: Decimal | None = None,
    reclaimed_amount: Decimal | None = None,
    note: str = "",
    case=None,
    request=None,
) -> AgencyMeasure:
    """Record a measure of the user's agency on `hint`; projected savings for a stopped Kindergeld."""
    _require_recordable(user, hint)
    if kind not in MeasureKind.values:
        raise Refused("Bitte wählen Sie die Maßnahme.")
    if kind == MeasureKind.RUECKFORDERUNG and not (reclaimed_amount and reclaimed_amount > 0):
        raise Refused("Bei einer Rückforderung geben Sie bitte den Betrag an.")
    if kind == MeasureKind.KINDERGELD_EINGESTELLT and monthly_amount is None:
        monthly_amount = default_monthly_amount(hint)
    if case is not None and not case.hints.filter(pk=hint.pk).exists():
        raise Refused("Der Hinweis gehört nicht zu diesem Prüffall.")
    birth = birth_date_of(hint.facts) if kind == MeasureKind.KINDERGELD_EINGESTELLT else None
    months, savings = (
        projected_savings(taken_on, birth, monthly_amount)
        if kind == MeasureKind.KINDERGELD_EINGESTELLT
        else (None, None)
    )
    measure = AgencyMeasure.objects.create(
        hint=hint,
        case=case,
        agency_id=user.agency_id,
        kind=kind,
        taken_on=taken_on,
        monthly_amount=monthly_amount,
        reclaimed_amount=reclaimed_amount,
        child_birth_date=birth,
        projected_months=months,
        projected_savings=savings,
        note=note,
        created_by=user,
        created_by_name=_actor_name(user),
    )
    record(
        user,
        AuditAction.CREATE,
        object_type="agency_measure",
        object_id=measure.pk,
        purpose="Maßnahme zu einem Hinweis erfasst",
        details={
            "hint": hint.hint_id,
            "run": hint.run_id,
            "case": case.aktenzeichen if case is not None else None,
            "kind": kind,
            "taken_on": taken_on.isoformat(),
            "monthly_amount": str(monthly_amount) if monthly_amount is not None else None,
            "reclaimed_amount": str(reclaimed_amount) if reclaimed_amount is not None else None,
            "projected_savings": str(savings) if savings is not None else None,
        },
        request=request,
    )
    return measure


def withdraw_measure(
    user, measure: AgencyMeasure, reason: str, version: int, *, request=None
) -> AgencyMeasure:
    """Withdraw a measure recorded in error (it stays visible as withdrawn and no longer counts)."""
    if not may_record(user) or measure.agency_id != user.agency_id:
        raise Refused("Nur die Behörde, die die Maßnahme erfasst hat, kann sie zurücknehmen.")
    if not reason.strip():
        raise Refused("Bitte geben Sie den Grund der Rücknahme an.")
    with transaction.atomic():
        current = AgencyMeasure.objects.select_for_update().get(pk=measure.pk)
        if current.version != version:
            raise Conflict
        if current.withdrawn_at is not None:
            raise Refused("Die Maßnahme ist bereits zurückgenommen.")
        current.withdrawn_at = timezone.now()
        current.withdrawn_by_name = _actor_name(user)
        current.withdrawn_reason = reason.strip()
        current.version += 1
        current.save(update_fields=["withdrawn_at", "withdrawn_by_name", "withdrawn_reason", "version"])
    record(
        user,
        AuditAction.CHANGE,
        object_type="agency_measure",
        object_id=current.pk,
        purpose="Maßnahme zurückgenommen",
        details={"hint": current.hint.hint_id, "kind": current.kind, "reason": current.withdrawn_reason},
        request=request,
    )
    return current


# --- figures for reports (aggregate, no personal data) ----------------------------------------


def _measures_in(period_start: dt.date, period_end: dt.date, agency=None) -> QuerySet[AgencyMeasure]:
    queryset = AgencyMeasure.objects.active().filter(taken_on__gte=period_start, taken_on__lte=period_end)
    return queryset.filter(agency=agency) if agency is not None else queryset


def _sum(queryset, field: str) -> Decimal:
    return queryset.aggregate(total=Sum(field))["total"] or Decimal("0.00")


def money_stopped(period_start: dt.date, period_end: dt.date, *, agency=None) -> Decimal:
    """Sum of monthly payments stopped (€/Monat) by measures taken in the period (inclusive)."""
    return _sum(_measures_in(period_start, period_end, agency), "monthly_amount")


def reclaimed(period_start: dt.date, period_end: dt.date, *, agency=None) -> Decimal:
    """Sum of amounts reclaimed (€) by measures taken in the period (inclusive)."""
    return _sum(_measures_in(period_start, period_end, agency), "reclaimed_amount")


def projected_savings_total(period_start: dt.date, period_end: dt.date, *, agency=None) -> Decimal:
    """Sum of projected savings until the children's 18th birthdays (€) of stops in the period."""
    return _sum(_measures_in(period_start, period_end, agency), "projected_savings")


def outcome_counts(period_start: dt.date, period_end: dt.date, *, agency=None) -> dict[str, int]:
    """Current outcomes decided in the period, per result code (every code present)."""
    queryset = Outcome.objects.filter(decided_on__gte=period_start, decided_on__lte=period_end)
    if agency is not None:
        queryset = queryset.filter(agency=agency)
    counts = dict.fromkeys(OutcomeResult.values, 0)
    for row in queryset.order_by().values("result").annotate(n=Count("pk")):
        counts[row["result"]] = row["n"]
    return counts


def measure_counts(period_start: dt.date, period_end: dt.date, *, agency=None) -> dict[str, int]:
    """Active measures taken in the period, per kind code (every code present)."""
    counts = dict.fromkeys(MeasureKind.values, 0)
    rows = _measures_in(period_start, period_end, agency).order_by().values("kind").annotate(n=Count("pk"))
    for row in rows:
        counts[row["kind"]] = row["n"]
    return counts


@dataclass(frozen=True)
class OutcomeSummary:
    period_start: dt.date
    period_end: dt.date
    outcomes: dict[str, int]
    measures: dict[str, int]
    money_stopped_monthly: Decimal
    reclaimed: Decimal
    projected_savings: Decimal


def summary(period_start: dt.date, period_end: dt.date, *, agency=None) -> OutcomeSummary:
    return OutcomeSummary(
        period_start=period_start,
        period_end=period_end,
        outcomes=outcome_counts(period_start, period_end, agency=agency),
        measures=measure_counts(period_start, period_end, agency=agency),
        money_stopped_monthly=money_stopped(period_start, period_end, agency=agency),
        reclaimed=reclaimed(period_start, period_end, agency=agency),
        projected_savings=projected_savings_total(period_start, period_end, agency=agency),
    )


# --- the per-agency list "Ergebnisse" ---------------------------------------------------------

STATUS_FILTERS = [("offen", "noch kein Ergebnis"), ("erfasst", "Ergebnis erfasst"), *OutcomeResult.choices]


@dataclass(frozen=True)
class ListQuery:
    run: int | None = None
    status: str = ""
    rule: str = ""
    q: str = ""

    @classmethod
    def from_params(cls, params) -> ListQuery:
        run = row_id(params.get("abgleich", ""))
        status = params.get("status", "")
        rule = params.get("regel", "")
        return cls(
            run=run,
            status=status if status in dict(STATUS_FILTERS) else "",
            rule=rule if rule in RULE_TITLES else "",
            q=params.get("q", "").strip()[:200],
        )

    def as_params(self) -> dict[str, str]:
        params = {
            "abgleich": str(self.run) if self.run else "",
            "status": self.status,
            "regel": self.rule,
            "q": self.q,
        }
        return {key: value for key, value in params.items() if value}


def runs_for_list() -> QuerySet[Run]:
    from missimo.runs.models import RunStatus

    return Run.objects.filter(status=RunStatus.FINISHED).order_by("-finished_at", "-id")


def listed_hints(user, query: ListQuery) -> QuerySet[Hint]:
    """Hints of one run the user's agency may record for, with the agency's outcome annotated."""
    run = runs_for_list().filter(pk=query.run).first() if query.run else latest_run()
    if run is None or not may_record(user):
        return Hint.objects.none()
    own = Outcome.objects.filter(hint__hint_id=OuterRef("hint_id"), agency=user.agency_id).order_by("-pk")
    queryset = (
        recordable_hints(user)
        .filter(run=run)
        .annotate(
            outcome_result=Subquery(own.values("result")[:1], output_field=CharField()),
            outcome_decided_on=Subquery(own.values("decided_on")[:1], output_field=DateField()),
        )
        .prefetch_related(Prefetch("cases", to_attr="case_list"))
    )
    if query.status == "offen":
        queryset = queryset.filter(outcome_result__isnull=True)
    elif query.status == "erfasst":
        queryset = queryset.filter(outcome_result__isnull=False)
    elif query.status:
        queryset = queryset.filter(outcome_result=query.status)
    if query.rule:
        queryset = queryset.filter(rule=query.rule)
    for token in query.q.replace(",", " ").split():
        queryset = queryset.filter(
            Q(address__icontains=token) | Q(hint_id__iexact=token) | Q(primary_ref__icontains=token)
        )
    return queryset.order_by("address", "rule", "primary_ref", "pk")


COLUMNS = [
    ("hint_id", "Hinweis-ID"),
    ("regel", "Regel"),
    ("adresse", "Adresse"),
    ("beleg", "Beleg"),
    ("aktenzeichen", "Prüffall"),
    ("ergebnis", "Ergebnis"),
    ("festgestellt", "festgestellt am"),
    ("massnahmen", "Maßnahmen"),
    ("eingestellt", "eingestellt €/Monat"),
    ("rueckforderung", "Rückforderung €"),
    ("einsparung", "Einsparung bis 18 €"),
]
MONEY_COLUMNS = {"eingestellt", "rueckforderung", "einsparung"}


def _money_sum(measures, field: str) -> Decimal | None:
    values = [getattr(m, field) for m in measures if getattr(m, field) is not None]
    return sum(values, Decimal("0.00")) if values else None


def own_measures_by_hint_id(user) -> dict[str, list[AgencyMeasure]]:
    """The active measures of the user's agency, by hint id (measures of earlier runs included)."""
    found: dict[str, list[AgencyMeasure]] = {}
    if not user.agency_id:
        return found
    queryset = (
        AgencyMeasure.objects.active()
        .filter(agency=user.agency_id)
        .select_related("hint")
        .order_by("taken_on", "id")
    )
    for measure in queryset:
        found.setdefault(measure.hint.hint_id, []).append(measure)
    return found


def row_of(hint: Hint, measures_by_hint_id: dict[str, list[AgencyMeasure]]) -> list:
    measures = measures_by_hint_id.get(hint.hint_id, [])
    labels = dict(OutcomeResult.choices)
    return [
        hint.hint_id,
        RULE_TITLES.get(hint.rule, hint.rule),
        hint.address,
        hint.primary_ref,
        ", ".join(case.aktenzeichen for case in getattr(hint, "case_list", [])),
        str(labels[hint.outcome_result]) if hint.outcome_result else "offen",
        hint.outcome_decided_on,
        ", ".join(f"{m.get_kind_display()} ({m.taken_on:%d.%m.%Y})" for m in measures),
        _money_sum(measures, "monthly_amount"),
        _money_sum(measures, "reclaimed_amount"),
        _money_sum(measures, "projected_savings"),
    ]


def export(user, query: ListQuery, fmt: str, *, request=None) -> bytes:
    """The listed hints with the agency's outcomes and measures as CSV or XLSX (euro amounts as
    numbers in XLSX); audited."""
    measures = own_measures_by_hint_id(user)
    hints = list(listed_hints(user, query))
    rows = [row_of(hint, measures) for hint in hints]
    money = [i for i, (key, _) in enumerate(COLUMNS) if key in MONEY_COLUMNS]
    content = tables.table_bytes(
        [label for _, label in COLUMNS], rows, fmt, "Ergebnisse", money_columns=money
    )
    _record_export(user, fmt, query, [hint.hint_id for hint in hints], request)
    return content


def _record_export(user, fmt: str, query: ListQuery, ids: list[str], request) -> None:
    record(
        user,
        AuditAction.EXPORT,
        object_type="outcome_list",
        purpose="Export der Ergebnisliste",
        details={"format": fmt, "filters": query.as_params(), "hints": ids},
        request=request,
    )


# --- letters ----------------------------------------------------------------------------------


def may_write_letters(user) -> bool:
    return is_coordination(user)


def may_edit_templates(user) -> bool:
    return is_coordination(user)


def may_see_letters(user) -> bool:
    return is_coordination(user) or (
        user.is_authenticated
        and user.agency_id is not None
        and user.agency.kind in RECIPIENT_KINDS
        and user.has_role(*ROLES_WITH_PERSONAL_DATA)
    )


def letters_for(user) -> QuerySet[Letter]:
    """Coordination: every letter. A recipient agency: its released letters only."""
    if is_coordination(user):
        return Letter.objects.all()
    if not may_see_letters(user):
        return Letter.objects.none()
    return Letter.objects.filter(
        recipient=user.agency_id, status__in=[LetterStatus.FREIGEGEBEN, LetterStatus.VERSANDT]
    )


def recipients() -> QuerySet[Agency]:
    return Agency.objects.filter(kind__in=RECIPIENT_KINDS).order_by("name")


class _AgencyScope:
    """The recipient agency as a stand-in user for `hints_for`: which hints its role may see."""

    is_authenticated = True

    def __init__(self, agency: Agency) -> None:
        self._roles = {Role(agency.kind)} if agency.kind in Role.values else set()
        self._roles.discard(Role.KOORDINIERUNG)

    def has_role(self, *roles) -> bool:
        return bool(self._roles.intersection(roles))


def hints_for_recipient(case, agency: Agency) -> QuerySet[Hint]:
    """Data minimisation: only the case's hints the recipient agency may see itself."""
    return case.hints.filter(pk__in=hints_for(_AgencyScope(agency)).values("pk")).order_by(
        "rule", "primary_ref"
    )


def letter_values(case, agency: Agency, day: dt.date | None = None) -> dict[str, str]:
    day = day or timezone.localdate()
    hints = hints_for_recipient(case, agency)
    lines = [
        f"- {RULE_TITLES.get(h.rule, h.rule)} (Hinweis {h.hint_id}, Beleg {h.primary_ref})" for h in hints
    ]
    address = case.property.address if case.property_id else ""
    return {
        "aktenzeichen": case.aktenzeichen,
        "adresse": address,
        "hinweise": "\n".join(lines) or "(keine Hinweise in Ihrer Zuständigkeit)",
        "empfaenger": agency.name,
        "datum": f"{day:%d.%m.%Y}",
    }


def _letter_event(letter: Letter, user, from_status: str, to_status: str, note: str = "") -> None:
    LetterEvent.objects.create(
        letter=letter,
        actor=user,
        actor_name=_actor_name(user),
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


def _audit_letter(user, action, letter: Letter, purpose: str, request, **details) -> None:
    record(
        user,
        action,
        object_type="letter",
        object_id=letter.pk,
        purpose=purpose,
        details={
            "case": letter.case.aktenzeichen,
            "recipient": letter.recipient.name,
            "status": letter.status,
            "version": letter.version,
            **details,
        },
        request=request,
    )


def draft_letter(user, case, recipient: Agency, template: LetterTemplate, *, request=None) -> Letter:
    if not may_write_letters(user):
        raise Refused("Schreiben verfasst die Koordinierungsstelle.")
    if not visible_cases(user).filter(pk=case.pk).exists():
        raise Refused("Diesen Prüffall dürfen Sie nicht sehen.")
    values = letter_values(case, recipient)
    with transaction.atomic():
        letter = Letter.objects.create(
            case=case,
            recipient=recipient,
            template=template,
            subject=placeholders.fill(template.subject, values)[:300],
            body=placeholders.fill(template.body, values),
            author=user,
        )
        _letter_event(letter, user, "", LetterStatus.ENTWURF, f"aus der Vorlage „{template.name}“")
    _audit_letter(user, AuditAction.CREATE, letter, "Schreiben entworfen", request, template=template.name)
    return letter


def _locked(letter: Letter, version: int) -> Letter:
    current = Letter.objects.select_for_update().get(pk=letter.pk)
    if current.version != version:
        raise Conflict
    return current


def update_letter(user, letter: Letter, *, subject: str, body: str, version: int, request=None) -> Letter:
    """The author edits a draft (or a rejected letter, which becomes a draft again)."""
    with transaction.atomic():
        current = _locked(letter, version)
        if current.author_id != user.pk or not may_write_letters(user):
            raise Refused("Nur die Verfasserin oder der Verfasser kann das Schreiben ändern.")
        if current.status not in (LetterStatus.ENTWURF, LetterStatus.ZURUECKGEWIESEN):
            raise Refused("Das Schreiben kann nur als Entwurf geändert werden.")
        before = current.status
        current.subject, current.body = subject, body
        current.status = LetterStatus.ENTWURF
        current.version += 1
        current.save()
        _letter_event(current, user, before, LetterStatus.ENTWURF, "Text geändert")
    _audit_letter(user, AuditAction.CHANGE, current, "Schreiben geändert", request)
    return current


def submit_letter(user, letter: Letter, *, version: int, request=None) -> Letter:
    with transaction.atomic():
        current = _locked(letter, version)
        if current.author_id != user.pk or not may_write_letters(user):
            raise Refused("Nur die Verfasserin oder der Verfasser gibt das Schreiben zur Freigabe.")
        if current.status != LetterStatus.ENTWURF:
            raise Refused("Nur ein Entwurf kann zur Freigabe gegeben werden.")
        current.status = LetterStatus.ZUR_FREIGABE
        current.submitted_at = timezone.now()
        current.version += 1
        current.save()
        _letter_event(current, user, LetterStatus.ENTWURF, LetterStatus.ZUR_FREIGABE)
    _audit_letter(user, AuditAction.CHANGE, current, "Schreiben zur Freigabe gegeben", request)
    return current


def _require_second_person(user, letter: Letter) -> None:
    if not may_write_letters(user):
        raise Refused("Schreiben gibt nur die Koordinierungsstelle frei.")
    if letter.author_id == user.pk:
        raise Refused(
            "Vier-Augen-Prinzip: Sie haben dieses Schreiben verfasst. Eine zweite Person der "
            "Koordinierungsstelle muss es freigeben oder zurückweisen."
        )
    if letter.status != LetterStatus.ZUR_FREIGABE:
        raise Refused("Das Schreiben liegt nicht zur Freigabe vor.")


def approve_letter(user, letter: Letter, *, version: int, request=None) -> Letter:
    """Four-eyes release by a second person of the coordination office; audited as RELEASE."""
    with transaction.atomic():
        current = _locked(letter, version)
        _require_second_person(user, current)
        current.status = LetterStatus.FREIGEGEBEN
        current.approved_by = user
        current.approved_at = timezone.now()
        current.rejection_reason = ""
        current.version += 1
        current.save()
        _letter_event(current, user, LetterStatus.ZUR_FREIGABE, LetterStatus.FREIGEGEBEN)
    _audit_letter(
        user,
        AuditAction.RELEASE,
        current,
        "Schreiben im Vier-Augen-Prinzip freigegeben",
        request,
        author=current.author.get_username(),
    )
    return current


def reject_letter(user, letter: Letter, *, reason: str, version: int, request=None) -> Letter:
    if not reason.strip():
        raise Refused("Bitte geben Sie den Grund der Zurückweisung an.")
    with transaction.atomic():
        current = _locked(letter, version)
        _require_second_person(user, current)
        current.status = LetterStatus.ZURUECKGEWIESEN
        current.rejection_reason = reason.strip()
        current.version += 1
        current.save()
        _letter_event(current, user, LetterStatus.ZUR_FREIGABE, LetterStatus.ZURUECKGEWIESEN, reason.strip())
    _audit_letter(
        user, AuditAction.CHANGE, current, "Schreiben zurückgewiesen", request, reason=reason.strip()
    )
    return current


def mark_sent(user, letter: Letter, *, version: int, request=None) -> Letter:
    with transaction.atomic():
        current = _locked(letter, version)
        if not may_write_letters(user):
            raise Refused("Den Versand vermerkt die Koordinierungsstelle.")
        if current.status != LetterStatus.FREIGEGEBEN:
            raise Refused("Nur ein freigegebenes Schreiben kann versandt werden.")
        current.status = LetterStatus.VERSANDT
        current.sent_at = timezone.now()
        current.version += 1
        current.save()
        _letter_event(current, user, LetterStatus.FREIGEGEBEN, LetterStatus.VERSANDT)
    _audit_letter(user, AuditAction.RELEASE, current, "Schreiben an die Empfängerin übermittelt", request)
    return current


def letter_pdf(user, letter: Letter, *, request=None) -> bytes:
    """The PDF of a released letter (refused before approval)."""
    if not letter.released:
        raise Refused("Das PDF gibt es erst nach der Freigabe im Vier-Augen-Prinzip.")
    if not letters_for(user).filter(pk=letter.pk).exists():
        raise Refused("Dieses Schreiben dürfen Sie nicht sehen.")
    from missimo.outcomes.pdf import render_letter_pdf

    content = render_letter_pdf(letter)
    _audit_letter(user, AuditAction.EXPORT, letter, "PDF eines freigegebenen Schreibens abgerufen", request)
    return content


# --- templates --------------------------------------------------------------------------------


def save_template(user, template: LetterTemplate | None, data: dict, *, version: int = 0, request=None):
    if not may_edit_templates(user):
        raise Refused("Vorlagen bearbeitet die Koordinierungsstelle.")
    fields = ("name", "subject", "body", "recipient_kind", "active")
    with transaction.atomic():
        if template is None:
            current = LetterTemplate(**{f: data[f] for f in fields if f in data})
            action = AuditAction.CREATE
        else:
            current = LetterTemplate.objects.select_for_update().get(pk=template.pk)
            if current.version != version:
                raise Conflict
            for field in fields:
                if field in data:
                    setattr(current, field, data[field])
            current.version += 1
            action = AuditAction.CHANGE
        current.updated_by_name = _actor_name(user)
        current.save()
    record(
        user,
        action,
        object_type="letter_template",
        object_id=current.pk,
        purpose="Vorlage für Schreiben bearbeitet",
        details={"name": current.name, "version": current.version},
        request=request,
    )
    return current
