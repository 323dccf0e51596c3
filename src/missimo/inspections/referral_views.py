"""The referral section of the case page and its two POST actions (inspections.referrals)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.casework.services import cases_for
from missimo.inspections import referrals
from missimo.inspections.models import REFERRAL_MOVES, HelpNeed, ReferralStatus, SupportService


def case_panel(request, case) -> str:
    user = request.user
    if not referrals.may_refer(user):
        return ""
    items = [
        (r, [(str(s), ReferralStatus(s).label) for s in REFERRAL_MOVES[ReferralStatus(r.status)]])
        for r in referrals.referrals_for(user).filter(case=case)
    ]
    return render_to_string(
        "inspections/_referral_panel.html",
        {
            "case": case,
            "needs": referrals.help_needs_of_case(case),
            "items": items,
            "services": referrals.services_offered(),
            "help_need_choices": HelpNeed.choices,
        },
        request=request,
    )


@require_POST
def referral_add(request, pk: int):
    if not referrals.may_refer(request.user):
        raise Http404
    case = get_object_or_404(cases_for(request.user), pk=pk)
    try:
        referrals.refer(
            request.user,
            case,
            service_id=request.POST.get("angebot", ""),
            help_need=request.POST.get("bedarf", ""),
            consent=request.POST.get("einwilligung") == "ja",
            household_id=request.POST.get("wohnung", ""),
            request=request,
        )
    except referrals.ReferralRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Die Vermittlung ist erfasst.")
    return redirect("casework:case_detail", pk=case.pk)


@require_POST
def referral_move(request, pk: int):
    if not referrals.may_refer(request.user):
        raise Http404
    referral = get_object_or_404(referrals.referrals_for(request.user), pk=pk)
    try:
        referrals.move(
            request.user,
            referral,
            request.POST.get("stand", ""),
            request.POST.get("ergebnis", ""),
            request=request,
        )
    except referrals.ReferralRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Der Stand der Vermittlung ist geändert.")
    return redirect("casework:case_detail", pk=referral.case_id)


REFERRAL_LIST_LIMIT = 500


@require_GET
def referral_list(request):
    """All referrals of the cases the user may see (the coordination office: all), with status,
    filterable by status, support service and help need."""
    if not referrals.may_refer(request.user):
        raise Http404
    chosen = {
        "stand": request.GET.get("stand", ""),
        "angebot": request.GET.get("angebot", ""),
        "bedarf": request.GET.get("bedarf", ""),
    }
    items = referrals.referrals_for(request.user).select_related("case", "case__property")
    if chosen["stand"] in ReferralStatus.values:
        items = items.filter(status=chosen["stand"])
    if chosen["angebot"].isdigit():
        items = items.filter(service_id=int(chosen["angebot"]))
    if chosen["bedarf"] in HelpNeed.values:
        items = items.filter(help_need=chosen["bedarf"])
    total = items.count()
    shown = list(items.order_by("-updated_at", "-id")[:REFERRAL_LIST_LIMIT])
    record(
        request.user,
        AuditAction.READ,
        object_type="referral_list",
        details={"count": len(shown), **{key: value for key, value in chosen.items() if value}},
        request=request,
    )
    return render(
        request,
        "inspections/referrals.html",
        {
            "items": shown,
            "total": total,
            "limit": REFERRAL_LIST_LIMIT,
            "chosen": chosen,
            "status_choices": ReferralStatus.choices,
            "help_need_choices": HelpNeed.choices,
            "services": SupportService.objects.order_by("name"),
        },
    )
