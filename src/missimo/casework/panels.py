"""What case work adds to pages of other apps (registered in apps.py, see core.extensions and
core.lists): the cases panel on the property page and the review-status filter of the Hinweise page."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from missimo.accounts import policy
from missimo.accounts.policy import Capability
from missimo.casework.models import CaseStatus
from missimo.core import lists

CLOSED = (CaseStatus.ABGESCHLOSSEN, CaseStatus.VERWORFEN)


def property_panel(request, prop) -> str:
    """Safe HTML for the property page: the cases of the property the user may see, with links; "" when
    there is none or the user does not work cases."""
    from missimo.casework import services

    if not policy.can(request.user, Capability.WORK_CASES):
        return ""
    cases = list(
        services.cases_for(request.user)
        .filter(property=prop)
        .select_related("campaign", "assigned_to")
        .order_by("-created_at", "-pk")
    )
    if not cases:
        return ""
    html = render_to_string("casework/_property_panel.html", {"cases": cases}, request=request)
    return mark_safe(html)  # noqa: S308 - rendered by the template engine with autoescaping


def _apply_status(queryset, value: str):
    from missimo.casework import services

    return services.with_review_status(queryset).filter(review_status=value)


def hint_status_filter(user) -> lists.ListFilter | None:
    """The review status (offen, zur Kontrolle vorgeschlagen, verworfen) as a filter of the Hinweise page."""
    from missimo.casework import services

    return lists.ChoiceFilter(
        "status",
        "Status der Sichtung",
        _apply_status,
        choices=list(services.HintStatus.LABELS.items()),
    )


def start_todo(request, user) -> str:
    """The start page's to-do entries of case work, urgent first: overdue and coming deadlines and
    follow-ups, open hints of the Prüfliste, held deliveries (services.todo_list), own open cases."""
    from missimo.casework import services

    items = [
        format_html(
            '<li>{}<a class="kern-link" href="{}">{} {}</a></li>',
            mark_safe(
                '<span class="kern-badge kern-badge--danger"><span class="kern-label">dringend</span></span> '
            )
            if item.urgent
            else "",
            item.url,
            item.count,
            item.label,
        )
        for item in services.todo_list(user)
    ]
    if policy.can(user, Capability.WORK_CASES):
        mine = services.cases_for(user).filter(assigned_to=user).exclude(status__in=CLOSED).count()
        if mine:
            items.append(
                format_html(
                    '<li><a class="kern-link" href="{}">{} offene Prüffälle, die Ihnen zugewiesen sind</a></li>',
                    reverse("casework:my_cases"),
                    mine,
                )
            )
    return mark_safe("".join(items))  # noqa: S308 - every item built by format_html
