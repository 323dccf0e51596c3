"""Handing a case over in the four-eyes principle: to the Staatsanwaltschaft (criminal suspicion) or,
as a § 8a SGB VIII notice, to the Jugendamt (child welfare).

One person requests the handover with a reason; a second person with `Capability.HAND_OVER_CASES`
(never the requester) releases or rejects it. Only after the release does the receiving agency read
the case (`handed_over_cases`). Each step appends a case event and an audit entry.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from missimo.accounts import policy
from missimo.accounts.models import Agency, AgencyKind
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.casework.models import Case, CaseEvent, CaseHandover, HandoverKind, HandoverStatus
from missimo.core.errors import Refused

# The kind of agency each kind of handover goes to.
RECEIVER_KIND = {
    HandoverKind.STAATSANWALTSCHAFT: AgencyKind.STAATSANWALTSCHAFT,
    HandoverKind.KINDESWOHL: AgencyKind.JUGENDAMT,
}


class HandoverRefused(Refused, ValueError):
    """A handover that is not allowed or incomplete; `message` is German."""


def receivers(kind: str) -> QuerySet[Agency]:
    """The agencies a handover of `kind` can go to."""
    return Agency.objects.filter(kind=RECEIVER_KIND.get(kind, "")).order_by("name")


def may_request(user, kind: str) -> bool:
    """The Staatsanwaltschaft handover is the coordination office's decision; a child-welfare concern
    can be raised by everybody who works the case (the release is still the coordination office's)."""
    if kind == HandoverKind.STAATSANWALTSCHAFT:
        return policy.can(user, Capability.HAND_OVER_CASES)
    return policy.can(user, Capability.WORK_CASES)


def may_decide(user, handover: CaseHandover) -> bool:
    return (
        policy.can(user, Capability.HAND_OVER_CASES)
        and handover.status == HandoverStatus.BEANTRAGT
        and handover.requested_by_id != user.pk
    )


def _event(user, case: Case, text: str) -> None:
    name = user.display_name + (f" ({user.agency})" if user.agency_id else "")
    CaseEvent.objects.create(case=case, actor=user, actor_name=name, kind="abgabe", reason=text)


@transaction.atomic
def request_handover(user, case: Case, kind: str, agency_id, reason: str, *, request=None) -> CaseHandover:
    if kind not in HandoverKind.values:
        raise HandoverRefused("Bitte wählen Sie die Art der Abgabe.")
    if not may_request(user, kind):
        raise HandoverRefused("Sie dürfen diese Abgabe nicht beantragen.")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise HandoverRefused("Bitte begründen Sie die Abgabe (mindestens 10 Zeichen).")
    agency = receivers(kind).filter(pk=agency_id).first() if str(agency_id or "").isdigit() else None
    if agency is None:
        raise HandoverRefused("Bitte wählen Sie die empfangende Behörde.")
    if case.handovers.filter(kind=kind, to_agency=agency, status=HandoverStatus.BEANTRAGT).exists():
        raise HandoverRefused("Für diesen Prüffall ist eine solche Abgabe bereits beantragt.")
    handover = CaseHandover.objects.create(
        case=case, kind=kind, to_agency=agency, reason=reason, requested_by=user
    )
    _event(user, case, f"{handover.get_kind_display()} an {agency} beantragt: {reason}")
    record(
        user,
        AuditAction.CREATE,
        object_type="case_handover",
        object_id=case.aktenzeichen,
        purpose=str(handover.get_kind_display()),
        details={"handover": handover.pk, "to": agency.name},
        request=request,
    )
    return handover


@transaction.atomic
def decide_handover(
    user, handover: CaseHandover, *, release: bool, note: str = "", request=None
) -> CaseHandover:
    handover = CaseHandover.objects.select_for_update().get(pk=handover.pk)
    if handover.status != HandoverStatus.BEANTRAGT:
        raise HandoverRefused("Über diese Abgabe ist bereits entschieden.")
    if handover.requested_by_id == user.pk:
        raise HandoverRefused(
            "Vier-Augen-Prinzip: Eine zweite Person muss die Abgabe freigeben, nicht die beantragende."
        )
    if not policy.can(user, Capability.HAND_OVER_CASES):
        raise HandoverRefused("Sie dürfen über Abgaben nicht entscheiden.")
    note = (note or "").strip()
    if not release and not note:
        raise HandoverRefused("Bitte begründen Sie die Ablehnung.")
    handover.status = HandoverStatus.FREIGEGEBEN if release else HandoverStatus.ABGELEHNT
    handover.decided_by = user
    handover.decided_at = timezone.now()
    handover.decision_note = note
    handover.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    verb = "freigegeben" if release else "abgelehnt"
    _event(
        user, handover.case, f"{handover.get_kind_display()} an {handover.to_agency} {verb}. {note}".strip()
    )
    record(
        user,
        AuditAction.RELEASE if release else AuditAction.CHANGE,
        object_type="case_handover",
        object_id=handover.case.aktenzeichen,
        purpose=f"{handover.get_kind_display()} {verb}",
        details={"handover": handover.pk, "to": handover.to_agency.name},
        request=request,
    )
    return handover


def released_to(agency_id) -> QuerySet[CaseHandover]:
    return CaseHandover.objects.filter(to_agency=agency_id, status=HandoverStatus.FREIGEGEBEN)


def handed_over_cases(user) -> QuerySet[Case]:
    """The cases released to the user's agency (the Staatsanwaltschaft reads only these)."""
    if not policy.can(user, Capability.SEE_HANDED_OVER_CASES) or not user.agency_id:
        return Case.objects.none()
    return Case.objects.filter(pk__in=released_to(user.agency_id).values("case_id"))


def handovers_for(user, case: Case) -> QuerySet[CaseHandover]:
    """The handovers of a case the user may see: all for the coordination office, else those to or from
    the user's agency."""
    handovers = case.handovers.select_related("to_agency", "requested_by", "decided_by")
    if policy.can(user, Capability.HAND_OVER_CASES):
        return handovers
    return handovers.filter(to_agency=user.agency_id) | handovers.filter(requested_by=user)
