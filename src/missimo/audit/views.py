"""The audit log for the data-protection officer: search, filter, export, verify the chain.

Read-only: no view writes or changes an entry (only `services.record()` appends). Everybody
except the data-protection officer gets 404."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from missimo.accounts import policy
from missimo.accounts.policy import Capability
from missimo.audit import labels, services
from missimo.audit.forms import AuditFilterForm
from missimo.audit.models import AuditAction
from missimo.core import tables

PAGE_SIZE = 50


def _require_dpo(request) -> None:
    if not policy.can(request.user, Capability.READ_AUDIT_LOG):
        raise Http404


def _form(request) -> AuditFilterForm:
    params = {key: value for key, value in request.GET.items() if key != "seite"}
    return AuditFilterForm(params or None, object_types=services.object_types())


def _used(criteria: dict) -> dict:
    return {key: str(value) for key, value in criteria.items() if value}


def _last_verification() -> dict | None:
    """The result of the newest chain check recorded in the log itself (shown until the next check)."""
    from missimo.audit.models import AuditEvent
    from missimo.audit.routers import AUDIT_ALIAS

    last = (
        AuditEvent.objects.using(AUDIT_ALIAS).filter(object_type="audit_chain").order_by("-sequence").first()
    )
    if last is None:
        return None
    intact = bool(last.details.get("intact"))
    checked = last.details.get("checked", 0)
    message = (
        f"Protokoll unverändert: {checked} Einträge geprüft."
        if intact
        else f"Die Prüfung hat eine Veränderung ab Eintrag {last.details.get('first_broken')} festgestellt."
    )
    return {
        "intact": intact,
        "message": message,
        "checked": checked,
        "at": timezone.localtime(last.occurred_at).strftime("%d.%m.%Y %H:%M"),
        "by": last.actor_username,
    }


@require_GET
def audit_log(request):
    _require_dpo(request)
    form = _form(request)
    criteria = form.criteria()
    events = services.search(**criteria)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("seite"))
    page.object_list = list(page.object_list)  # as it was before this very read is recorded
    for event in page.object_list:
        event.object_type_text = labels.object_type_label(event.object_type)
        event.details_text = labels.details_text(event.details)
    services.record(
        request.user,
        AuditAction.READ,
        object_type="audit_log",
        purpose="Datenschutzkontrolle: Sichtung des Protokolls",
        details={"filter": _used(criteria), "page": page.number},
        request=request,
    )
    query = urlencode({key: value for key, value in request.GET.items() if key != "seite" and value})
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "labels": dict(AuditAction.choices),
            "chain": request.session.pop("audit_chain_report", None) or _last_verification(),
        },
    )


@require_GET
def audit_export(request):
    """CSV of exactly the filtered entries; the export is itself an audit entry."""
    _require_dpo(request)
    form = _form(request)
    criteria = form.criteria()
    rows = services.export_rows(services.search(**criteria).order_by("sequence"))
    services.record(
        request.user,
        AuditAction.EXPORT,
        object_type="audit_log",
        purpose="Datenschutzkontrolle: Export des Protokolls",
        details={"filter": _used(criteria), "entries": len(rows)},
        request=request,
    )
    stamp = timezone.localtime().strftime("%Y-%m-%d_%H%M")
    return tables.download(tables.csv_bytes(services.CSV_HEADER, rows), f"protokoll_{stamp}", "csv")


@require_POST
def audit_verify(request):
    """Recompute the hash chain; the result is shown on the log page."""
    _require_dpo(request)
    report = services.verify_chain()
    services.record(
        request.user,
        AuditAction.READ,
        object_type="audit_chain",
        purpose="Datenschutzkontrolle: Prüfung der Hash-Kette",
        details={"intact": report.intact, "checked": report.checked, "first_broken": report.first_broken},
        request=request,
    )
    request.session["audit_chain_report"] = {
        "intact": report.intact,
        "message": report.message,
        "checked": report.checked,
        "at": timezone.localtime().strftime("%d.%m.%Y %H:%M"),
    }
    return redirect("audit:log")
