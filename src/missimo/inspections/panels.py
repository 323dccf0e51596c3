"""The inspections panel on the case page (registered in apps.py for the slot "case"): the inspections of the
case, the state of each protocol and the findings per hint."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from missimo.accounts import policy
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.runs.services import hints_for

UPCOMING_DAYS = 14  # the start page lists the inspections of the next two weeks


def case_panel(request, case) -> str:
    """Safe HTML for the case page, or "" when the case was never on an inspection."""
    from missimo.inspections import services
    from missimo.inspections.models import Visit

    user = request.user
    visits = list(
        Visit.objects.filter(case=case).select_related("inspection").order_by("inspection__scheduled_at")
    )
    if not visits:
        return ""
    visible = set(services.inspections_for(user).filter(visits__case=case).values_list("pk", flat=True))
    findings = list(
        services.findings_for_case(case)
        .filter(hint__in=hints_for(user))
        .order_by("hint__rule", "hint__primary_ref")
    )
    if findings:
        record(
            user,
            AuditAction.READ,
            object_type="inspection_findings",
            object_id=case.aktenzeichen,
            purpose="Einsicht in die Kontrollergebnisse eines Prüffalls",
            details={"findings": [f.pk for f in findings]},
            request=request,
        )
    html = render_to_string(
        "inspections/_case_panel.html",
        {"visits": visits, "visible": visible, "findings": findings},
        request=request,
    )
    return mark_safe(html)  # noqa: S308 - rendered by the template engine with autoescaping


def property_panel(request, prop) -> str:
    """Safe HTML for the property page: the inspections at the property the user may see, with links to
    the inspection and its protocol; "" when there is none."""
    from missimo.inspections import services

    visits = list(
        services.visits_for(request.user)
        .filter(case__property=prop)
        .order_by("-inspection__scheduled_at", "-pk")
    )
    if not visits:
        return ""
    context = {"visits": visits, "links_to_cases": policy.can(request.user, Capability.WORK_CASES)}
    html = render_to_string("inspections/_property_panel.html", context, request=request)
    return mark_safe(html)  # noqa: S308 - rendered by the template engine with autoescaping


def start_todo(request, user) -> str:
    """The start page's to-do entry of inspections: the planned inspections of the next 14 days the
    user takes part in."""
    from missimo.inspections import services
    from missimo.inspections.models import InspectionStatus

    if not services.may_use(user):
        return ""
    now = timezone.now()
    ahead = (
        services.inspections_for(user)
        .filter(
            status=InspectionStatus.GEPLANT,
            scheduled_at__gte=now - dt.timedelta(hours=12),
            scheduled_at__lt=now + dt.timedelta(days=UPCOMING_DAYS),
        )
        .count()
    )
    if not ahead:
        return ""
    return format_html(
        '<li><a class="kern-link" href="{}">{} Kontrollen in den nächsten {} Tagen</a></li>',
        reverse("inspections:list"),
        ahead,
        UPCOMING_DAYS,
    )
