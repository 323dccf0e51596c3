"""Fairness report and Art. 15 report: pages of the data-protection officer (404 for everybody else)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from missimo.accounts import policy
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.privacy import services
from missimo.privacy.forms import Art15Form


def _require_dpo(request) -> None:
    if not policy.can(request.user, Capability.SEE_PRIVACY_REPORTS):
        raise Http404


@require_GET
def fairness(request):
    _require_dpo(request)
    report = services.fairness_report()
    record(
        request.user,
        AuditAction.READ,
        object_type="fairness_report",
        object_id=report.run.pk if report else "",
        purpose="Datenschutzkontrolle: Fairnessbericht (nur Summen)",
        request=request,
    )
    return render(
        request,
        "privacy/fairness.html",
        {
            "report": report,
            "suppress_below": services.SUPPRESS_BELOW,
            "decision_tables": [
                ("Entschiedene Hinweise", report.decided),
                ("Bestätigte Hinweise (Bestätigungsquote)", report.confirmation),
                ("Verworfene Hinweise (Verwerfungsquote)", report.dismissal),
            ]
            if report
            else [],
        },
    )


DOWNLOADS = {
    "json": (lambda report: report.as_json(), "application/json; charset=utf-8"),
    "pdf": (services.art15_pdf, "application/pdf"),
    "csv": (services.art15_csv, "text/csv; charset=utf-8"),
}


@require_http_methods(["GET", "POST"])
def art15(request):
    """Search a person, show everything held about them, and offer it as a file (both audited)."""
    _require_dpo(request)
    form = Art15Form(request.POST or None)
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = services.art15_report(
            ordnungsmerkmal=data["ordnungsmerkmal"],
            family_name=data["familienname"],
            given_name=data["vornamen"],
            birth_date=data["geburtsdatum"],
        )
        fmt = request.POST.get("datei", "")
        fmt = "json" if fmt == "1" else fmt
        download = fmt in DOWNLOADS
        record(
            request.user,
            AuditAction.EXPORT if download else AuditAction.READ,
            object_type="art15_report",
            object_id=report.criteria.get("ordnungsmerkmal", ""),
            purpose=data["zweck"],
            details={
                "criteria": report.criteria,
                "records": report.record_refs,
                "hints": [h["hinweis_id"] for h in report.hints],
                "audit_entries": len(report.audit_events),
                **({"format": fmt} if download else {}),
            },
            request=request,
        )
        if download:
            stamp = timezone.localtime().strftime("%Y-%m-%d_%H%M")
            build, content_type = DOWNLOADS[fmt]
            response = HttpResponse(build(report), content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="auskunft_art15_{stamp}.{fmt}"'
            return response
    return render(request, "privacy/art15.html", {"form": form, "report": report})
