"""Named operations of case work: campaigns, cases and their workflow, hint reviews, assignment,
search and export. The only module other apps import from casework.

Public API used by other apps:
- ``cases_for(user) -> QuerySet[Case]`` (need-to-know),
- ``transition(user, case, to_status, reason="", *, version=None) -> Case`` raising
  ``TransitionRefused`` (``ConflictError`` for a stale version),
- ``hint_status(hint) -> str`` and ``with_review_status(hints)``/``latest_reviews()``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from missimo.accounts import policy
from missimo.accounts.models import Agency, User
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.casework import workflow
from missimo.casework.models import (
    PERSON_DECISIONS,
    AktenzeichenCounter,
    Campaign,
    Case,
    CaseEvent,
    CaseHandover,
    CaseOrigin,
    CaseStatus,
    HintReview,
    ReviewDecision,
    ReviewReason,
)
from missimo.core import extensions, notify, tables
from missimo.core.errors import Conflict, Refused
from missimo.core.params import row_id
from missimo.imports.services import held_deliveries
from missimo.properties.models import Property
from missimo.properties.services import properties_for
from missimo.runs.models import Hint, RankedProperty, Run
from missimo.runs.services import hints_for, hints_of_run, latest_run

AKTENZEICHEN_PREFIX = "MIS"


class TransitionRefused(Refused, ValueError):
    """A status change (or another change of a case) that is not allowed; `message` is German."""


class ConflictError(TransitionRefused, Conflict):
    """Somebody else changed the case since the form was opened (stale `version`)."""

    def __init__(self, case: Case, version: int | None) -> None:
        super().__init__(
            "Ihre Änderung wurde nicht gespeichert: Jemand anderes hat diesen Prüffall geändert, nachdem "
            f"Sie ihn geöffnet haben (Ihre Fassung: Version {version}, aktuell: Version {case.version}). "
            "Bitte prüfen Sie die aktuelle Fassung und tragen Sie Ihre Änderung erneut ein."
        )
        self.case = case
        self.version = version

    @property
    def events(self) -> list[CaseEvent]:
        """What happened since the version the user had."""
        return list(self.case.events.filter(case_version__gt=self.version or 0).order_by("occurred_at", "id"))


class ReviewRefused(Refused, ValueError):
    """A hint review that is not allowed or incomplete."""


# --- need-to-know (accounts.policy) -------------------------------------------------------


def cases_for(user) -> QuerySet[Case]:
    """The cases this user may see (need-to-know)."""
    if not policy.can(user, Capability.WORK_CASES):
        return Case.objects.none()
    if policy.can(user, Capability.SEE_ALL_AGENCIES):
        return Case.objects.all()
    scope = Q(assigned_to=user)
    if user.agency_id:
        agency_cases = Case.objects.filter(
            Q(campaign__agencies=user.agency_id) | Q(lead_agency=user.agency_id)
        ).values("pk")
        scope |= Q(pk__in=agency_cases)
        # cases released to the agency (a § 8a SGB VIII notice to the Jugendamt, casework.handover)
        released = CaseHandover.objects.filter(to_agency=user.agency_id, status="freigegeben").values(
            "case_id"
        )
        scope |= Q(pk__in=released)
    return Case.objects.filter(scope)


def campaigns_for(user) -> QuerySet[Campaign]:
    if not policy.can(user, Capability.WORK_CASES):
        return Campaign.objects.none()
    if policy.can(user, Capability.SEE_ALL_AGENCIES):
        return Campaign.objects.all()
    if not user.agency_id:
        return Campaign.objects.none()
    return Campaign.objects.filter(pk__in=Campaign.objects.filter(agencies=user.agency_id).values("pk"))


def case_hints_for(user, case: Case) -> QuerySet[Hint]:
    """The hints of a case this user may see: only those of their own agency (hints_for)."""
    return hints_for(user).filter(cases=case).order_by("rule", "primary_ref")


def _actor_name(user) -> str:
    if user is None:
        return "System"
    name = user.display_name
    return f"{name} ({user.agency})" if user.agency_id else name


# --- Aktenzeichen ---------------------------------------------------------------------------


def next_aktenzeichen(year: int | None = None) -> str:
    """The next Aktenzeichen of the year, e.g. MIS-2026-00042: sequential per year, unique, safe when
    several people open cases at once (one atomic UPDATE per number)."""
    year = year or timezone.localdate().year
    with transaction.atomic():
        for _attempt in range(5):
            if AktenzeichenCounter.objects.filter(year=year).update(last=F("last") + 1):
                number = AktenzeichenCounter.objects.get(year=year).last
                return f"{AKTENZEICHEN_PREFIX}-{year}-{number:05d}"
            try:
                with transaction.atomic():
                    AktenzeichenCounter.objects.create(year=year, last=0)
            except IntegrityError:
                pass  # somebody else created the year's counter in between: increment theirs
    raise RuntimeError("Aktenzeichen konnte nicht vergeben werden.")


# --- campaigns ------------------------------------------------------------------------------


@transaction.atomic
def create_campaign(user, data: dict, *, request=None) -> Campaign:
    if not policy.can(user, Capability.MANAGE_CAMPAIGNS):
        raise PermissionError("Nur die Koordinierungsstelle legt Aktionszeiträume an.")
    agencies = list(data.get("agencies") or [])
    campaign = Campaign.objects.create(
        name=data["name"],
        start=data["start"],
        end=data["end"],
        description=data.get("description", ""),
        run=latest_run(),
        created_by=user,
    )
    campaign.agencies.set(agencies)
    record(
        user,
        AuditAction.CREATE,
        object_type="campaign",
        object_id=campaign.pk,
        purpose="Aktionszeitraum angelegt",
        details={
            "name": campaign.name,
            "start": campaign.start.isoformat(),
            "end": campaign.end.isoformat(),
            "agencies": [a.name for a in agencies],
            "run": campaign.run_id,
        },
        request=request,
    )
    return campaign


def ranking_for_campaign(campaign: Campaign) -> QuerySet[RankedProperty]:
    """The ranked properties of the campaign's run (or the latest run), best first."""
    run = campaign.run or latest_run()
    if run is None:
        return RankedProperty.objects.none()
    return RankedProperty.objects.filter(run=run).order_by("rank")


def _new_case(user, **fields) -> Case:
    return Case.objects.create(aktenzeichen=next_aktenzeichen(), created_by=user, **fields)


def _creation_event(user, case: Case, reason: str) -> None:
    CaseEvent.objects.create(
        case=case,
        actor=user,
        actor_name=_actor_name(user),
        kind="angelegt",
        to_status=case.status,
        reason=reason,
        case_version=case.version,
    )


def select_properties(user, campaign: Campaign, objekt_ids: Iterable[str], *, request=None) -> list[Case]:
    """One case per selected property of the ranking (origin: campaign), with that property's hints
    from the run attached. Properties already in the campaign are skipped."""
    if not policy.can(user, Capability.MANAGE_CAMPAIGNS):
        raise PermissionError("Nur die Koordinierungsstelle wählt Objekte für Aktionszeiträume aus.")
    run = campaign.run or latest_run()
    if run is None:
        return []
    wanted = list(dict.fromkeys(objekt_ids))
    ranked = {r.objekt_id: r for r in RankedProperty.objects.filter(run=run, objekt_id__in=wanted)}
    created: list[Case] = []
    with transaction.atomic():
        if campaign.run_id is None:
            campaign.run = run
            campaign.save(update_fields=["run"])
        taken = set(campaign.cases.exclude(property=None).values_list("property__objekt_id", flat=True))
        properties = {p.objekt_id: p for p in Property.objects.filter(objekt_id__in=wanted)}
        for objekt_id in wanted:
            entry = ranked.get(objekt_id)
            if entry is None or objekt_id in taken:
                continue
            prop = properties.get(objekt_id)
            case = _new_case(
                user,
                property=prop,
                campaign=campaign,
                origin=CaseOrigin.KAMPAGNE,
                title=prop.address if prop else entry.address,
                lead_agency=user.agency,
            )
            # The hints the campaign's run found at the property (also those found again later, ADR 0005).
            case.hints.set(hints_of_run(run).filter(objekt_id=objekt_id))
            _creation_event(user, case, f"Aus dem Abgleich Nr. {run.pk} übernommen (Rang {entry.rank}).")
            created.append(case)
    if created:
        record(
            user,
            AuditAction.CREATE,
            object_type="campaign_cases",
            object_id=campaign.pk,
            purpose="Objekte aus der Rangliste in den Aktionszeitraum übernommen",
            details={
                "run": run.pk,
                "cases": [c.aktenzeichen for c in created],
                "objekte": [c.property.objekt_id if c.property else "" for c in created],
            },
            request=request,
        )
    return created


def status_counts(cases: QuerySet[Case]) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, in workflow order."""
    counts = dict(cases.order_by().values_list("status").annotate(n=Count("pk")))
    return [(code, str(label), counts.get(code, 0)) for code, label in CaseStatus.choices]


# --- cases by hand --------------------------------------------------------------------------


def search_properties(user, q: str, limit: int = 20) -> list[Property]:
    """Properties within the user's scope by address or Objekt-ID (for opening a case by hand)."""
    q = q.strip()[:200]
    if not q:
        return []
    queryset = properties_for(user)
    for token in q.replace(",", " ").split():
        queryset = queryset.filter(
            Q(strasse__icontains=token)
            | Q(hausnummer__iexact=token)
            | Q(plz=token)
            | Q(ort__icontains=token)
            | Q(objekt_id__iexact=token)
        )
    return list(queryset.order_by("sort_address", "objekt_id")[:limit])


HAND_ORIGINS = [choice for choice in CaseOrigin.choices if choice[0] != CaseOrigin.KAMPAGNE]


def open_case(user, data: dict, *, request=None) -> Case:
    """Open a case by hand (a Familienkasse suspicion, a complaint, ...) led by the user's agency."""
    if not policy.can(user, Capability.WORK_CASES):
        raise PermissionError("Sie dürfen keine Prüffälle anlegen.")
    prop = data.get("property")
    if prop is not None and not properties_for(user).filter(pk=prop.pk).exists():
        raise TransitionRefused("Dieses Objekt liegt nicht in Ihrem Zuständigkeitsbereich.")
    if data["origin"] == CaseOrigin.KAMPAGNE:
        raise TransitionRefused("Fälle aus dem Abgleich entstehen über einen Aktionszeitraum.")
    with transaction.atomic():
        case = _new_case(
            user,
            property=prop,
            origin=data["origin"],
            title=data.get("title") or (prop.address if prop else ""),
            description=data.get("description", ""),
            lead_agency=user.agency,
            assigned_to=user,
        )
        _creation_event(user, case, f"Von Hand angelegt: {case.get_origin_display()}.")
    record(
        user,
        AuditAction.CREATE,
        object_type="case",
        object_id=case.aktenzeichen,
        purpose="Prüffall von Hand angelegt",
        details={"origin": case.origin, "objekt_id": prop.objekt_id if prop else None},
        request=request,
    )
    return case


# --- workflow -------------------------------------------------------------------------------


def transition(user, case: Case, to_status: str, reason: str = "", *, version=None, request=None) -> Case:
    """Move a case to `to_status` if the transition table allows it (see casework.workflow), with
    the reason where one is required, and if nobody changed the case since `version`."""
    reason = (reason or "").strip()
    if to_status not in CaseStatus.values:
        raise TransitionRefused("Diesen Status gibt es nicht.")
    with transaction.atomic():
        current = Case.objects.select_for_update().filter(pk=case.pk).first()
        if current is None or not cases_for(user).filter(pk=case.pk).exists():
            raise TransitionRefused("Sie dürfen diesen Prüffall nicht bearbeiten.")
        if version is not None and int(version) != current.version:
            raise ConflictError(current, int(version))
        before = current.status
        if not workflow.is_allowed(before, to_status):
            raise TransitionRefused(
                f"Ein Prüffall im Status „{CaseStatus(before).label}“ kann nicht in den Status "
                f"„{CaseStatus(to_status).label}“ wechseln."
            )
        if workflow.reason_required(before, to_status) and len(reason) < 5:
            what = "Wiederaufnahme" if workflow.is_reopen(before, to_status) else "Verwerfen"
            raise TransitionRefused(f"Bitte begründen Sie das {what} (mindestens 5 Zeichen).")
        current.status = to_status
        current.version += 1
        if to_status == CaseStatus.ABGESCHLOSSEN:
            current.closed_at = timezone.now()
        elif workflow.is_reopen(before, to_status):
            current.closed_at = None
        current.save(update_fields=["status", "version", "closed_at", "updated_at"])
        CaseEvent.objects.create(
            case=current,
            actor=user,
            actor_name=_actor_name(user),
            kind="wiederaufnahme" if workflow.is_reopen(before, to_status) else "status",
            from_status=before,
            to_status=to_status,
            reason=reason,
            case_version=current.version,
        )
    record(
        user,
        AuditAction.CHANGE,
        object_type="case",
        object_id=current.aktenzeichen,
        purpose="Status eines Prüffalls geändert",
        details={"from": before, "to": to_status, "reason": reason, "version": current.version},
        request=request,
    )
    for field in ("status", "version", "closed_at", "updated_at"):
        setattr(case, field, getattr(current, field))
    return current


# --- editing and assignment -----------------------------------------------------------------


def assignable_users(case: Case | None = None, campaign: Campaign | None = None) -> QuerySet[User]:
    """Colleagues a case may be assigned to: staff of the participating agencies and of the lead
    agency, and the coordination office."""
    campaign = campaign or (case.campaign if case is not None else None)
    agency_ids: set[int] = set()
    if campaign is not None:
        agency_ids.update(campaign.agencies.values_list("pk", flat=True))
    if case is not None and case.lead_agency_id:
        agency_ids.add(case.lead_agency_id)
    return (
        User.objects.filter(policy.users_who_can(Capability.WORK_CASES), is_active=True)
        .filter(Q(agency_id__in=agency_ids) | policy.users_who_can(Capability.SEE_ALL_AGENCIES))
        .select_related("agency")
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


EDITABLE = {
    "title": "Kurzbezeichnung",
    "description": "Sachverhalt",
    "assigned_to": "zuständig",
    "property": "Objekt",
    "due_date": "Frist",
    "follow_up_date": "Wiedervorlage",
    "follow_up_note": "Notiz zur Wiedervorlage",
}


def _shown(case: Case, field: str) -> str:
    value = getattr(case, field)
    if field == "assigned_to":
        return value.display_name if value is not None else "niemand"
    if field == "property":
        return f"{value.address} (Objekt-ID {value.objekt_id})" if value is not None else "ohne Objekt"
    if isinstance(value, dt.date):
        return f"{value:%d.%m.%Y}"
    return value or ""


def update_case(user, case: Case, data: dict, version: int, *, request=None) -> Case:
    """Save title, description, assignment and, for a case opened without one, its property
    unless somebody saved in between (409 in the view)."""
    if not cases_for(user).filter(pk=case.pk).exists():
        raise TransitionRefused("Sie dürfen diesen Prüffall nicht bearbeiten.")
    with transaction.atomic():
        current = Case.objects.select_for_update().get(pk=case.pk)
        if current.version != version:
            raise ConflictError(current, version)
        prop = data.get("property")
        if prop is not None and prop != current.property:
            if current.property_id is not None:
                raise TransitionRefused("Das Objekt eines Prüffalls kann nicht gewechselt werden.")
            if not properties_for(user).filter(pk=prop.pk).exists():
                raise TransitionRefused("Dieses Objekt liegt nicht in Ihrem Zuständigkeitsbereich.")
        elif "property" in data:
            data = {key: value for key, value in data.items() if key != "property"}
        assignee = data.get("assigned_to", current.assigned_to)
        if (
            assignee is not None
            and assignee != current.assigned_to
            and not assignable_users(current).filter(pk=assignee.pk).exists()
        ):
            raise TransitionRefused("Dieser Fall kann dieser Person nicht zugewiesen werden.")
        before = {field: _shown(current, field) for field in EDITABLE}
        for field in EDITABLE:
            if field in data:
                setattr(current, field, data[field])
        changes = [
            {"field": label, "old": before[field], "new": _shown(current, field)}
            for field, label in EDITABLE.items()
            if before[field] != _shown(current, field)
        ]
        if not changes:
            return current
        current.version += 1
        current.save(update_fields=[*EDITABLE, "version", "updated_at"])
        CaseEvent.objects.create(
            case=current,
            actor=user,
            actor_name=_actor_name(user),
            kind="bearbeitet",
            changes=changes,
            case_version=current.version,
        )
    record(
        user,
        AuditAction.CHANGE,
        object_type="case",
        object_id=current.aktenzeichen,
        purpose="Prüffall bearbeitet",
        details={"version": current.version, "changes": changes},
        request=request,
    )
    reassigned = before["assigned_to"] != _shown(current, "assigned_to")
    if reassigned and current.assigned_to_id and current.assigned_to_id != user.pk:
        notify_assignment(current.assigned_to, 1)
    return current


def assign_cases(user, cases: Iterable[Case], assignee: User, *, request=None) -> list[Case]:
    """Bulk assignment: every selected case to one colleague (who must be assignable for each)."""
    cases = list(cases)
    visible = set(cases_for(user).filter(pk__in=[c.pk for c in cases]).values_list("pk", flat=True))
    if not policy.can(user, Capability.ASSIGN_CASES) or len(visible) != len(cases):
        raise TransitionRefused("Sie dürfen diese Prüffälle nicht zuweisen.")
    refused = [c.aktenzeichen for c in cases if not assignable_users(c).filter(pk=assignee.pk).exists()]
    if refused:
        raise TransitionRefused(
            f"{assignee.display_name} gehört zu keiner beteiligten Behörde von: {', '.join(refused)}."
        )
    changed = []
    with transaction.atomic():
        locked = list(Case.objects.select_for_update().filter(pk__in=visible).order_by("pk"))
        for case in locked:
            if case.assigned_to_id == assignee.pk:
                continue
            old = _shown(case, "assigned_to")
            case.assigned_to = assignee
            case.version += 1
            case.save(update_fields=["assigned_to", "version", "updated_at"])
            CaseEvent.objects.create(
                case=case,
                actor=user,
                actor_name=_actor_name(user),
                kind="zuweisung",
                changes=[{"field": "zuständig", "old": old, "new": assignee.display_name}],
                case_version=case.version,
            )
            changed.append(case)
    record(
        user,
        AuditAction.CHANGE,
        object_type="case_assignment",
        object_id=assignee.username,
        purpose="Prüffälle zugewiesen (Sammelzuweisung)",
        details={"assignee": assignee.username, "cases": [c.aktenzeichen for c in changed]},
        request=request,
    )
    if changed and assignee.pk != user.pk:
        notify_assignment(assignee, len(changed))
    return changed


def notify_assignment(assignee: User, count: int) -> int:
    """Mail the assignee that cases were assigned (how many and a link, no Aktenzeichen)."""
    what = (
        "Ihnen wurde in MISSIMO ein Prüffall zugewiesen."
        if count == 1
        else f"Ihnen wurden in MISSIMO {count} Prüffälle zugewiesen."
    )
    return notify.notify([assignee], "Prüffall zugewiesen", what, reverse("casework:my_cases"))


# --- hint reviews ---------------------------------------------------------------------------


class HintStatus:
    OFFEN = "offen"
    BESTAETIGT = ReviewDecision.BESTAETIGT.value
    VERWORFEN = ReviewDecision.VERWORFEN.value
    LABELS = {
        "offen": "offen",
        "bestaetigt": "zur Kontrolle vorgeschlagen",
        "verworfen": "verworfen",
    }


def _latest_review(hint_ref) -> QuerySet[HintReview]:
    return HintReview.objects.filter(hint=hint_ref).order_by("-reviewed_at", "-id")


def hint_status(hint: Hint) -> str:
    """ "offen", "bestaetigt" (zur Kontrolle vorgeschlagen) or "verworfen": the latest review decides."""
    latest = _latest_review(hint).values_list("decision", flat=True).first()
    return latest or HintStatus.OFFEN


def with_review_status(hints: QuerySet[Hint]) -> QuerySet[Hint]:
    """`hints` annotated with `review_status` (offen/bestaetigt/verworfen) and `review_reason`:
    the queryset helper for lists and reports."""
    latest = _latest_review(OuterRef("pk"))
    return hints.annotate(
        review_status=Coalesce(Subquery(latest.values("decision")[:1]), Value(HintStatus.OFFEN)),
        review_reason=Subquery(latest.values("reason_code")[:1]),
    )


def latest_reviews(run: Run | None = None) -> QuerySet[HintReview]:
    """The latest review of every reviewed hint (of `run`, if given)."""
    reviews = HintReview.objects.all()
    if run is not None:
        reviews = reviews.filter(hint__run=run)
    newest = _latest_review(OuterRef("hint")).values("pk")[:1]
    return reviews.filter(pk=Subquery(newest))


def review_hint(
    user, hint: Hint, decision: str, reason_code: str = "", note: str = "", *, request=None
) -> HintReview:
    if not policy.can(user, Capability.REVIEW_HINTS) or not hints_for(user).filter(pk=hint.pk).exists():
        raise ReviewRefused("Sie dürfen diesen Hinweis nicht sichten.")
    note = (note or "").strip()
    if decision not in PERSON_DECISIONS:
        raise ReviewRefused("Bitte wählen Sie eine Entscheidung.")
    closed = closed_case_of(hint)
    if closed is not None:
        raise ReviewRefused(
            f"Dieser Hinweis gehört zum Prüffall {closed.aktenzeichen}, der „{closed.get_status_display()}“ ist. "
            "Er kann erst wieder gesichtet werden, wenn der Prüffall mit Begründung wieder aufgenommen wurde."
        )
    current = hint_status(hint)
    if decision == current == ReviewDecision.BESTAETIGT:
        raise ReviewRefused("Dieser Hinweis ist bereits zur Kontrolle vorgeschlagen.")
    if decision == current == ReviewDecision.VERWORFEN:
        raise ReviewRefused(
            "Dieser Hinweis ist bereits verworfen. Er wird von selbst wieder geöffnet, wenn sich seine Belege ändern."
        )
    if decision == ReviewDecision.VERWORFEN:
        if reason_code not in ReviewReason.values:
            raise ReviewRefused("Bitte wählen Sie einen Grund für das Verwerfen.")
        if reason_code == ReviewReason.SONSTIGES and not note:
            raise ReviewRefused("Bitte erläutern Sie den Grund „sonstiges“ in einem kurzen Text.")
    else:
        reason_code = ""
    review = HintReview.objects.create(
        hint=hint,
        decision=decision,
        reason_code=reason_code,
        note=note[:5000],
        reviewed_by=user,
        reviewed_by_name=_actor_name(user),
        agency=user.agency,
    )
    record(
        user,
        AuditAction.CHANGE,
        object_type="hint_review",
        object_id=hint.hint_id,
        purpose="Hinweis gesichtet (Prüfliste)",
        details={"run": hint.run_id, "decision": decision, "reason": reason_code, "note": note},
        request=request,
    )
    return review


def closed_case_of(hint: Hint) -> Case | None:
    """The closed case a hint rests in, if it is in no open case: its review is settled until the case
    is reopened (with a reason)."""
    if hint.cases.exclude(status__in=workflow.CLOSED).exists():
        return None
    return hint.cases.filter(status__in=workflow.CLOSED).order_by("-closed_at", "-id").first()


def reopen_changed_hints(run: Run) -> int:
    """After a run: every dismissed hint whose evidence changed in that run is open again, with a
    review by the system that says why (ADR 0005). Returns how many were reopened."""
    changed = Hint.objects.filter(run=run, change="geaendert")
    dismissed = [
        review.hint_id
        for review in latest_reviews().filter(hint__in=changed, decision=ReviewDecision.VERWORFEN)
    ]
    HintReview.objects.bulk_create(
        HintReview(
            hint_id=pk,
            decision=ReviewDecision.WIEDER_OFFEN,
            note=f"Im Abgleich Nr. {run.pk} zum {run.stichtag:%d.%m.%Y} haben sich die Belege geändert.",
            reviewed_by=None,
            reviewed_by_name="System (Abgleich)",
        )
        for pk in dismissed
    )
    if dismissed:
        record(
            None,
            AuditAction.CHANGE,
            object_type="hint_review",
            object_id=run.pk,
            purpose="Verworfene Hinweise mit geänderten Belegen wieder geöffnet",
            details={"run": run.pk, "hints": len(dismissed)},
        )
    return len(dismissed)


def hint_queue(user, *, rule: str = "", status: str = "") -> QuerySet[Hint]:
    """The hints of the latest run this user may see, in ranking order, with their review status."""
    run = latest_run()
    if run is None or not policy.can(user, Capability.REVIEW_HINTS):
        return Hint.objects.none()
    ranks = RankedProperty.objects.filter(run=run, objekt_id=OuterRef("objekt_id")).values("rank")[:1]
    closed = Case.objects.filter(hints=OuterRef("pk"), status__in=workflow.CLOSED)
    still_open = Case.objects.filter(hints=OuterRef("pk")).exclude(status__in=workflow.CLOSED)
    hints = with_review_status(hints_for(user).filter(run=run)).annotate(
        rank=Subquery(ranks, output_field=IntegerField()),
        in_closed_case=Exists(closed),
        in_open_case=Exists(still_open),
    )
    if rule:
        hints = hints.filter(rule=rule)
    if status in HintStatus.LABELS:
        hints = hints.filter(review_status=status)
    return hints.order_by(F("rank").asc(nulls_last=True), "rule", "primary_ref", "pk")


# --- lists, search, export ------------------------------------------------------------------


@dataclass(frozen=True)
class CaseQuery:
    q: str = ""
    status: str = ""
    campaign: str = ""
    mine: bool = False

    @classmethod
    def from_params(cls, params, *, mine: bool = False) -> CaseQuery:
        status = params.get("status", "")
        campaign = params.get("aktion", "")
        return cls(
            q=params.get("q", "").strip()[:200],
            status=status if status in CaseStatus.values else "",
            campaign=campaign if row_id(campaign) else "",
            mine=mine,
        )

    def as_params(self) -> dict[str, str]:
        params = {"q": self.q, "status": self.status, "aktion": self.campaign}
        return {key: value for key, value in params.items() if value}


def search_cases(user, q: str) -> QuerySet[Case]:
    """Global search over what the user may see: Aktenzeichen, address/Objekt-ID, hint id."""
    cases = cases_for(user)
    for token in q.replace(",", " ").split():
        cases = cases.filter(
            Q(aktenzeichen__icontains=token)
            | Q(title__icontains=token)
            | Q(property__strasse__icontains=token)
            | Q(property__hausnummer__iexact=token)
            | Q(property__plz=token)
            | Q(property__objekt_id__iexact=token)
            | Q(pk__in=hints_for(user).filter(hint_id__iexact=token).values("cases"))
        )
    return cases


def listed_cases(user, query: CaseQuery) -> QuerySet[Case]:
    cases = search_cases(user, query.q) if query.q else cases_for(user)
    if query.mine:
        cases = cases.filter(assigned_to=user)
    if query.status:
        cases = cases.filter(status=query.status)
    if query.campaign:
        cases = cases.filter(campaign_id=int(query.campaign))
    visible_hints = hints_for(user).values("pk")
    return (
        cases.select_related("property", "campaign", "assigned_to", "lead_agency")
        .annotate(visible_hints=Count("hints", filter=Q(hints__pk__in=visible_hints), distinct=True))
        .order_by("-created_at", "-id")
    )


CASE_COLUMNS = [
    ("aktenzeichen", "Aktenzeichen"),
    ("objekt", "Objekt"),
    ("aktion", "Aktionszeitraum"),
    ("anlass", "Anlass"),
    ("status", "Status"),
    ("zustaendig", "zuständig"),
    ("federfuehrend", "federführende Behörde"),
    ("hinweise", "Hinweise"),
    ("angelegt", "angelegt"),
]


def case_row(case: Case) -> list:
    values = {
        "aktenzeichen": case.aktenzeichen,
        "objekt": case.property.address if case.property else "",
        "aktion": case.campaign.name if case.campaign else "",
        "anlass": case.get_origin_display(),
        "status": case.get_status_display(),
        "zustaendig": case.assigned_to.display_name if case.assigned_to else "",
        "federfuehrend": case.lead_agency.name if case.lead_agency else "",
        "hinweise": case.visible_hints,
        "angelegt": timezone.localtime(case.created_at).strftime("%d.%m.%Y"),
    }
    return [values[key] for key, _ in CASE_COLUMNS]


def export_cases(user, query: CaseQuery, fmt: str, *, request=None, cases=None) -> bytes:
    """The listed cases (`cases`: the page's rows in its sort order, all pages; by default the filter's
    in the usual order) with the page's columns as CSV or XLSX."""
    cases = list(listed_cases(user, query) if cases is None else cases)
    rows = [case_row(case) for case in cases]
    content = tables.table_bytes([label for _, label in CASE_COLUMNS], rows, fmt, "Prüffälle")
    record(
        user,
        AuditAction.EXPORT,
        object_type="case_list",
        purpose="Export einer Liste von Prüffällen",
        details={
            "format": fmt,
            "filters": query.as_params(),
            "mine": query.mine,
            "cases": [c.aktenzeichen for c in cases],
        },
        request=request,
    )
    return content


def caseload(user) -> list[dict]:
    """Team caseload for the coordination office: cases per assignee and status."""
    if not policy.can(user, Capability.ASSIGN_CASES):
        return []
    rows = (
        Case.objects.order_by()
        .values("assigned_to", "assigned_to__first_name", "assigned_to__last_name", "assigned_to__username")
        .annotate(
            **{f"n_{code}": Count("pk", filter=Q(status=code)) for code in CaseStatus.values},
            total=Count("pk"),
        )
    )
    table = []
    for row in rows:
        if row["assigned_to"] is None:
            name = "nicht zugewiesen"
        else:
            full = f"{row['assigned_to__first_name']} {row['assigned_to__last_name']}".strip()
            name = full or row["assigned_to__username"]
        table.append(
            {
                "name": name,
                "user_id": row["assigned_to"],
                "counts": [row[f"n_{code}"] for code in CaseStatus.values],
                "open": sum(row[f"n_{code}"] for code in CaseStatus.values if code not in workflow.CLOSED),
                "total": row["total"],
            }
        )
    return sorted(table, key=lambda r: (r["user_id"] is None, r["name"].casefold()))


def agencies_for_campaigns() -> QuerySet[Agency]:
    """Agencies that can take part in a campaign (not IT, data protection or single schools)."""
    return Agency.objects.exclude(kind__in=policy.OUTSIDE_CAMPAIGNS).order_by("name")


def today() -> dt.date:
    return timezone.localdate()


# --- deadlines, follow-ups and the personal to-do list -------------------------------------------

UPCOMING_DAYS = 14


@dataclass(frozen=True)
class Deadline:
    """One date a person must act on: a case's Frist or Wiedervorlage."""

    case: Case
    kind: str  # "Frist" or "Wiedervorlage"
    date: dt.date
    note: str

    @property
    def overdue(self) -> bool:
        return self.date < today()

    @property
    def due_today(self) -> bool:
        return self.date == today()

    # The same face as extensions.DueItem, so the Fristen page and the ICS file list both alike.
    @property
    def title(self) -> str:
        return self.case.aktenzeichen

    @property
    def url(self) -> str:
        return reverse("casework:case_detail", args=[self.case.pk])

    @property
    def place(self) -> str:
        return self.case.property.address if self.case.property_id else ""

    @property
    def uid(self) -> str:
        kind = "frist" if self.kind == "Frist" else "wiedervorlage"
        return f"{kind}-{self.case.pk}-{self.date:%Y%m%d}"


def deadlines_for(user, *, until: dt.date | None = None, mine: bool = True) -> list[Deadline]:
    """The Fristen and Wiedervorlagen of open cases this user may see (own cases when `mine`),
    overdue first, then by date; up to `until` if given."""
    cases = cases_for(user).exclude(status__in=workflow.CLOSED)
    if mine:
        cases = cases.filter(assigned_to=user)
    cases = cases.filter(Q(due_date__isnull=False) | Q(follow_up_date__isnull=False)).select_related(
        "property"
    )
    found = []
    for case in cases:
        if case.due_date:
            found.append(Deadline(case, "Frist", case.due_date, ""))
        if case.follow_up_date:
            found.append(Deadline(case, "Wiedervorlage", case.follow_up_date, case.follow_up_note))
    if until is not None:
        found = [d for d in found if d.date <= until]
    return sorted(found, key=lambda d: (d.date, d.case.aktenzeichen, d.kind))


def all_deadlines_for(user, *, until: dt.date | None = None, mine: bool = True) -> list:
    """The Fristen page's dates: the cases' Fristen and Wiedervorlagen and the dates other apps give
    through `extensions.register_deadlines` (a measure's Wiedervorlage, a letter's reply date), each
    scoped by its app to what the user may see; overdue first, then by date."""
    found = [*deadlines_for(user, mine=mine), *extensions.deadlines(user, mine=mine)]
    if until is not None:
        found = [d for d in found if d.date <= until]
    return sorted(found, key=lambda d: (d.date, d.title, d.kind))


@dataclass(frozen=True)
class TodoItem:
    label: str
    url: str
    count: int
    urgent: bool = False


def todo_list(user) -> list[TodoItem]:
    """What this person has to do (start page), urgent first: overdue deadlines and follow-ups,
    those due in the next 14 days, hints to review, held deliveries."""
    items: list[TodoItem] = []
    if policy.can(user, Capability.WORK_CASES):
        soon = deadlines_for(user, until=today() + dt.timedelta(days=UPCOMING_DAYS))
        overdue = [d for d in soon if d.date <= today()]
        if overdue:
            items.append(
                TodoItem(
                    "überfällige oder heute fällige Fristen und Wiedervorlagen",
                    reverse("casework:deadlines"),
                    len(overdue),
                    True,
                )
            )
        upcoming = len(soon) - len(overdue)
        if upcoming:
            items.append(
                TodoItem(
                    f"Fristen und Wiedervorlagen in den nächsten {UPCOMING_DAYS} Tagen",
                    reverse("casework:deadlines"),
                    upcoming,
                )
            )
    if policy.can(user, Capability.REVIEW_HINTS):
        open_hints = hint_queue(user, status=HintStatus.OFFEN).count()
        if open_hints:
            items.append(
                TodoItem(
                    "offene Hinweise zu sichten", reverse("casework:hint_queue") + "?status=offen", open_hints
                )
            )
    held = held_deliveries(user).count()
    if held:
        items.append(TodoItem("zurückgehaltene Lieferungen zu prüfen", reverse("imports:list"), held, True))
    return sorted(items, key=lambda item: not item.urgent)


def deadlines_ics(user) -> str:
    """The user's Fristen and Wiedervorlagen as an iCalendar file (RFC 5545): one all-day event
    each, naming only the Aktenzeichen and the kind (no personal data)."""
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//MISSIMO//Fristen//DE", "CALSCALE:GREGORIAN"]
    for deadline in all_deadlines_for(user):
        day = deadline.date
        summary = f"{deadline.kind} {deadline.title}" + (" (überfällig)" if deadline.overdue else "")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{deadline.uid}@missimo",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_ics_text(summary)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def send_deadline_notifications(*, day: dt.date | None = None) -> int:
    """One e-mail per person with deadlines or follow-ups due on `day` (default today) or overdue:
    what is due and a link, no personal data. Only when MISSIMO_EMAIL_NOTIFICATIONS is on; returns the
    number of mails sent."""
    if not getattr(settings, "EMAIL_NOTIFICATIONS", False):
        return 0
    day = day or today()
    base_url = getattr(settings, "BASE_URL", "")
    sent = 0
    for user in User.objects.filter(is_active=True).exclude(email=""):
        due = all_deadlines_for(user, until=day)
        if not due:
            continue
        overdue = sum(1 for d in due if d.date < day)
        body = (
            f"Guten Tag,\n\nin MISSIMO sind für Sie {len(due)} Fristen oder Wiedervorlagen fällig"
            + (f", davon {overdue} überfällig" if overdue else "")
            + f".\n\nBitte sehen Sie in MISSIMO nach: {base_url}/aktionen/fristen/\n\n"
            "Diese Nachricht enthält absichtlich keine Angaben zu Personen oder Fällen.\n"
        )
        send_mail("MISSIMO: fällige Fristen und Wiedervorlagen", body, None, [user.email])
        sent += 1
    if sent:
        record(
            None,
            AuditAction.CREATE,
            object_type="notification",
            purpose="Benachrichtigung über fällige Fristen",
            details={"mails": sent, "day": day.isoformat()},
        )
    return sent
