"""Help beside enforcement: help needs noticed in the field protocol, and referrals of a case's
households to the city's support services (`SupportService`, configurable in the administration),
with the person's consent, a status and a result.

A referral is recorded by anyone who works the case (`Capability.WORK_CASES`, the case within
`casework.services.cases_for`). Its status moves along `REFERRAL_MOVES`; every step is audited.
Reports count help needs and referrals (`help_figures`)."""

from __future__ import annotations

from collections import Counter

from django.db import transaction
from django.db.models import QuerySet

from missimo.accounts import policy
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.casework.services import cases_for
from missimo.core.errors import Refused
from missimo.inspections.models import (
    REFERRAL_MOVES,
    HelpNeed,
    Household,
    Referral,
    ReferralStatus,
    SupportService,
)


class ReferralRefused(Refused, ValueError):
    """A referral that is not allowed or incomplete; `message` is German."""


def may_refer(user) -> bool:
    return policy.can(user, Capability.WORK_CASES)


def services_offered() -> QuerySet[SupportService]:
    return SupportService.objects.filter(active=True).order_by("name")


def referrals_for(user) -> QuerySet[Referral]:
    """The referrals of the cases the user may see."""
    if not may_refer(user):
        return Referral.objects.none()
    return Referral.objects.filter(case__in=cases_for(user)).select_related("service", "household", "agency")


def help_needs_of_case(case) -> list[tuple[Household, list[str]]]:
    """The households of the case's inspections with a help need, with the German labels."""
    households = Household.objects.filter(visit__case=case).exclude(help_needs=[]).order_by("visit_id", "pk")
    return [(household, household.help_need_labels) for household in households]


@transaction.atomic
def refer(
    user, case, *, service_id, help_need: str, consent: bool, household_id=None, request=None
) -> Referral:
    if not may_refer(user) or not cases_for(user).filter(pk=case.pk).exists():
        raise ReferralRefused("Sie dürfen für diesen Prüffall keine Vermittlung erfassen.")
    service = services_offered().filter(pk=service_id).first() if str(service_id or "").isdigit() else None
    if service is None:
        raise ReferralRefused("Bitte wählen Sie ein Hilfsangebot.")
    if help_need not in HelpNeed.values:
        raise ReferralRefused("Bitte wählen Sie den Hilfebedarf.")
    if not consent:
        raise ReferralRefused(
            "Eine Vermittlung braucht die Einwilligung der betroffenen Person. Bitte holen Sie sie ein und "
            "bestätigen Sie sie."
        )
    household = None
    if household_id:
        household = (
            Household.objects.filter(pk=household_id, visit__case=case).first()
            if str(household_id).isdigit()
            else None
        )
        if household is None:
            raise ReferralRefused("Die gewählte Wohnung gehört nicht zu diesem Prüffall.")
    referral = Referral.objects.create(
        case=case,
        household=household,
        service=service,
        help_need=help_need,
        consent=True,
        agency=user.agency,
        created_by=user,
    )
    record(
        user,
        AuditAction.CREATE,
        object_type="referral",
        object_id=case.aktenzeichen,
        purpose="Vermittlung an ein Hilfsangebot",
        details={"referral": referral.pk, "service": service.name, "help_need": help_need},
        request=request,
    )
    return referral


@transaction.atomic
def move(user, referral: Referral, to_status: str, result: str = "", *, request=None) -> Referral:
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if not referrals_for(user).filter(pk=referral.pk).exists():
        raise ReferralRefused("Sie dürfen diese Vermittlung nicht ändern.")
    if to_status not in {str(s) for s in REFERRAL_MOVES[ReferralStatus(referral.status)]}:
        raise ReferralRefused(
            f"Eine Vermittlung im Stand „{referral.get_status_display()}“ kann nicht so geändert werden."
        )
    result = (result or "").strip()
    if to_status in (ReferralStatus.ABGESCHLOSSEN, ReferralStatus.ABGELEHNT) and not result:
        raise ReferralRefused("Bitte halten Sie das Ergebnis fest.")
    referral.status = to_status
    if result:
        referral.result = result
    referral.save(update_fields=["status", "result", "updated_at"])
    record(
        user,
        AuditAction.CHANGE,
        object_type="referral",
        object_id=referral.case.aktenzeichen,
        purpose="Stand einer Vermittlung",
        details={"referral": referral.pk, "status": to_status},
        request=request,
    )
    return referral


def help_figures(
    households: QuerySet[Household] | None = None, referrals: QuerySet[Referral] | None = None
) -> dict:
    """Counts for the reports: households with a help need per category, referrals per service and
    status (integration and prevention beside intervention)."""
    households = Household.objects.all() if households is None else households
    referrals = Referral.objects.all() if referrals is None else referrals
    needs: Counter[str] = Counter()
    with_need = 0
    for codes in households.values_list("help_needs", flat=True):
        if codes:
            with_need += 1
            needs.update(codes)
    labels = dict(HelpNeed.choices)
    status_labels = dict(ReferralStatus.choices)
    by_status = Counter(referrals.values_list("status", flat=True))
    by_service = Counter(referrals.values_list("service__name", flat=True))
    return {
        "households_with_need": with_need,
        "needs": [(str(labels[code]), needs[code]) for code in HelpNeed.values if needs[code]],
        "referrals": sum(by_status.values()),
        "referrals_by_status": [
            (str(status_labels[code]), by_status[code]) for code in ReferralStatus.values if by_status[code]
        ],
        "referrals_by_service": sorted(by_service.items()),
    }
