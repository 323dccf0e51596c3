"""Pages of the handover (casework.handover): request and decide on the case page, and the read-only
list and case page of the receiving agency (the Staatsanwaltschaft)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from missimo.accounts import policy
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.casework import handover, services
from missimo.casework.models import CaseHandover, HandoverKind, HandoverStatus


def case_panel(request, case) -> str:
    """The handover section of a case page (slot "case")."""
    user = request.user
    kinds = [
        {"value": kind.value, "label": kind.label, "agencies": list(handover.receivers(kind))}
        for kind in HandoverKind
        if handover.may_request(user, kind)
    ]
    rows = [(h, handover.may_decide(user, h)) for h in handover.handovers_for(user, case)]
    if not kinds and not rows:
        return ""
    return render_to_string(
        "casework/_handover_panel.html", {"case": case, "kinds": kinds, "rows": rows}, request=request
    )


@require_POST
def handover_request(request, pk: int):
    if not policy.can(request.user, Capability.WORK_CASES):
        raise Http404
    case = get_object_or_404(services.cases_for(request.user), pk=pk)
    try:
        handover.request_handover(
            request.user,
            case,
            request.POST.get("art", ""),
            request.POST.get("behoerde", ""),
            request.POST.get("begruendung", ""),
            request=request,
        )
    except handover.HandoverRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, "Die Abgabe ist beantragt. Eine zweite Person der Koordinierungsstelle gibt sie frei."
        )
    return redirect("casework:case_detail", pk=case.pk)


@require_POST
def handover_decide(request, pk: int):
    if not policy.can(request.user, Capability.HAND_OVER_CASES):
        raise Http404
    item = get_object_or_404(CaseHandover.objects.filter(case__in=services.cases_for(request.user)), pk=pk)
    decision = request.POST.get("entscheidung", "")
    if decision not in ("freigeben", "ablehnen"):
        messages.error(request, "Bitte wählen Sie „Freigeben“ oder „Ablehnen“.")
        return redirect("casework:case_detail", pk=item.case_id)
    try:
        handover.decide_handover(
            request.user,
            item,
            release=decision == "freigeben",
            note=request.POST.get("vermerk", ""),
            request=request,
        )
    except handover.HandoverRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, "Die Abgabe ist freigegeben." if decision == "freigeben" else "Die Abgabe ist abgelehnt."
        )
    return redirect("casework:case_detail", pk=item.case_id)


@require_GET
def handed_over_list(request):
    if not policy.can(request.user, Capability.SEE_HANDED_OVER_CASES):
        raise Http404
    cases = handover.handed_over_cases(request.user).select_related("property").order_by("-created_at")
    return render(request, "casework/handed_over_list.html", {"cases": cases})


@require_GET
def handed_over_detail(request, pk: int):
    if not policy.can(request.user, Capability.SEE_HANDED_OVER_CASES):
        raise Http404
    case = get_object_or_404(
        handover.handed_over_cases(request.user).select_related("property", "lead_agency"), pk=pk
    )
    handovers = (
        handover.released_to(request.user.agency_id)
        .filter(case=case)
        .select_related("requested_by", "decided_by")
    )
    record(
        request.user,
        AuditAction.READ,
        object_type="case",
        object_id=case.aktenzeichen,
        purpose="Einsicht in einen abgegebenen Prüffall",
        request=request,
    )
    return render(
        request,
        "casework/handed_over_detail.html",
        {
            "case": case,
            "handovers": handovers,
            "events": case.events.all(),
            "released": HandoverStatus.FREIGEGEBEN,
        },
    )
