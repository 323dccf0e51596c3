"""Named operations on outcomes and measures (the per-agency list is `listing`, letters are `letters`).

Need-to-know: an agency records outcomes and measures only for hints it may see
(`runs.services.hints_for`), always for its own agency; it sees only its own records, the
coordination office (`Capability.SEE_ALL_AGENCIES`) sees all. Report figures over outcomes and
measures are computed in `missimo.reports.figures`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from missimo import engine
from missimo.accounts import policy
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.casework.services import cases_for
from missimo.core import errors
from missimo.core.params import row_id
from missimo.outcomes.models import (
    RECLAIMS,
    AgencyMeasure,
    MeasureKind,
    Outcome,
    OutcomeResult,
    OutcomeRevision,
    measure_kinds_for,
)
from missimo.outcomes.savings import birth_date_of, projected_savings, projected_sgb2_savings
from missimo.runs.models import Hint
from missimo.runs.services import hints_for

RULE_TITLES = engine.rule_titles()


class Refused(errors.Refused):
    """An outcome, measure or letter operation this user may not do, or not in this state."""


class Conflict(errors.Conflict):
    """Somebody else saved an outcome, measure, letter or template in between (stale `version`)."""


def actor_name(user) -> str:
    name = user.display_name
    return f"{name} ({user.agency})" if user.agency_id else name


def sees_all_agencies(user) -> bool:
    """The coordination office sees the outcomes, measures and letters of every agency."""
    return policy.can(user, Capability.SEE_ALL_AGENCIES)


def may_record(user) -> bool:
    return policy.can(user, Capability.RECORD_OUTCOMES) and user.agency_id is not None


def recordable_hints(user) -> QuerySet[Hint]:
    """Hints this user's agency may record an outcome for."""
    return hints_for(user) if may_record(user) else Hint.objects.none()


def outcomes_for(user) -> QuerySet[Outcome]:
    if sees_all_agencies(user):
        return Outcome.objects.all()
    if not may_record(user):
        return Outcome.objects.none()
    return Outcome.objects.filter(
        Q(hint__in=hints_for(user).values("pk"))
        | Q(hint__isnull=True, case__in=visible_cases(user).values("pk")),
        agency=user.agency_id,
    )


def measures_for(user) -> QuerySet[AgencyMeasure]:
    if sees_all_agencies(user):
        return AgencyMeasure.objects.all()
    if not may_record(user):
        return AgencyMeasure.objects.none()
    return AgencyMeasure.objects.filter(agency=user.agency_id, hint__in=hints_for(user).values("pk"))


def visible_cases(user):
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
    return _store_outcome(
        user,
        _same_hint(hint, user.agency_id),
        hint=hint,
        case=case,
        result=result,
        decided_on=decided_on,
        note=note,
        version=version,
        request=request,
    )


def case_outcome(user, case) -> Outcome | None:
    """The outcome of the user's agency on the case itself (not on one of its hints)."""
    if not user.agency_id:
        return None
    return Outcome.objects.filter(case=case, hint__isnull=True, agency=user.agency_id).first()


def record_case_outcome(
    user, case, *, result: str, decided_on: dt.date, note: str = "", version: int = 0, request=None
) -> Outcome:
    """Record or correct the outcome of the user's agency on a case as a whole: for a case without
    any hint (opened from a tip-off or another office) or a finding not tied to one hint."""
    if not may_record(user) or not visible_cases(user).filter(pk=case.pk).exists():
        raise Refused("Für diesen Prüffall dürfen Sie kein Ergebnis erfassen.")
    if result not in OutcomeResult.values:
        raise Refused("Bitte wählen Sie ein Ergebnis.")
    return _store_outcome(
        user,
        Outcome.objects.filter(case=case, hint__isnull=True, agency=user.agency_id),
        hint=None,
        case=case,
        result=result,
        decided_on=decided_on,
        note=note,
        version=version,
        request=request,
    )


def _store_outcome(
    user, existing: QuerySet[Outcome], *, hint, case, result, decided_on, note, version, request
) -> Outcome:
    """Create (version 0) or correct (the version the form showed) the outcome `existing` finds,
    keeping the previous values as an OutcomeRevision; audited."""
    name = actor_name(user)
    try:
        with transaction.atomic():
            current = existing.order_by("-pk").select_for_update(of=("self",)).first()
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
        purpose=(
            "Ergebnis zu einem Hinweis erfasst" if hint is not None else "Ergebnis zu einem Prüffall erfasst"
        )
        if action == AuditAction.CREATE
        else "Ergebnis berichtigt",
        details={
            "hint": hint.hint_id if hint is not None else None,
            "run": hint.run_id if hint is not None else None,
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
    follow_up_date: dt.date | None = None,
    request=None,
) -> AgencyMeasure:
    """Record a measure of the user's agency on `hint`; projected savings for a stopped Kindergeld."""
    _require_recordable(user, hint)
    if kind not in MeasureKind.values:
        raise Refused("Bitte wählen Sie die Maßnahme.")
    agency_kind = user.agency.kind if user.agency_id else ""
    if kind not in dict(measure_kinds_for(agency_kind)):
        raise Refused(
            f"„{MeasureKind(kind).label}“ gehört nicht zu den Maßnahmen Ihrer Behörde. Bitte wählen Sie eine "
            "Maßnahme aus der Liste."
        )
    if kind in RECLAIMS and not (reclaimed_amount and reclaimed_amount > 0):
        raise Refused("Bei einer Rückforderung geben Sie bitte den Betrag an.")
    if (
        kind in (MeasureKind.KINDERGELD_EINGESTELLT, MeasureKind.BUERGERGELD_EINGESTELLT)
        and monthly_amount is None
    ):
        monthly_amount = default_monthly_amount(hint)
    if case is not None and not case.hints.filter(pk=hint.pk).exists():
        raise Refused("Der Hinweis gehört nicht zu diesem Prüffall.")
    source = hint.primary_ref.partition(":")[0]
    birth = birth_date_of(hint.facts, source) if kind == MeasureKind.KINDERGELD_EINGESTELLT else None
    months, savings = None, None
    if kind == MeasureKind.KINDERGELD_EINGESTELLT:
        months, savings = projected_savings(taken_on, birth, monthly_amount)
    elif kind == MeasureKind.BUERGERGELD_EINGESTELLT:
        months, savings, monthly_amount = projected_sgb2_savings(taken_on, monthly_amount)
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
        follow_up_date=follow_up_date,
        created_by=user,
        created_by_name=actor_name(user),
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
        current.withdrawn_by_name = actor_name(user)
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
