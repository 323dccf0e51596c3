"""The referral section of the case page and its two POST actions (inspections.referrals)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from missimo.casework.services import cases_for
from missimo.inspections import referrals
from missimo.inspections.models import REFERRAL_MOVES, HelpNeed, ReferralStatus


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
