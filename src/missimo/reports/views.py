"""Dashboard (Übersicht) and reports (Berichte): aggregate figures only, every view and download
audited. The coordination office sees everything; the data-protection officer sees the public
version of the reports; everybody else gets a 404."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from missimo.accounts import policy
from missimo.accounts.policy import Capability
from missimo.reports import figures as fig
from missimo.reports import services
from missimo.reports.forms import PeriodForm, ReportForm


def _download(content: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=services.EXPORTS[fmt][1])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _query(form) -> str:
    data = form.cleaned_data
    params = {"von": f"{data['von']:%d.%m.%Y}", "bis": f"{data['bis']:%d.%m.%Y}"}
    for key in ("art", "fassung"):
        if data.get(key):
            params[key] = data[key]
    if data.get("aktion") is not None:
        params["aktion"] = data["aktion"].pk
    return urlencode(params)


def _dashboard_request(form: PeriodForm) -> services.ReportRequest:
    data = form.cleaned_data
    return services.ReportRequest("uebersicht", data["von"], data["bis"], services.INTERN)


@require_GET
def dashboard(request):
    if not policy.can(request.user, Capability.SEE_DASHBOARD):
        raise Http404
    form = PeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "reports/dashboard.html", {"form": form}, status=400)
    if not request.GET:
        form = PeriodForm({})
        form.is_valid()
    report = _dashboard_request(form)
    figures = fig.figures_for(report.start, report.end)
    services.audit(request.user, report, request=request, dashboard=True)
    return render(
        request,
        "reports/dashboard.html",
        {
            "form": form,
            "report": report,
            "figures": figures,
            "charts": services.charts_of(figures),
            "query": _query(form),
        },
    )


@require_GET
def dashboard_export(request, fmt: str):
    if not policy.can(request.user, Capability.SEE_DASHBOARD) or fmt not in ("csv", "xlsx"):
        raise Http404
    form = PeriodForm(request.GET)
    if not form.is_valid():
        raise Http404
    report = _dashboard_request(form)
    figures = fig.figures_for(report.start, report.end)
    content = services.EXPORTS[fmt][0](
        services.ReportRequest("uebersicht", report.start, report.end, services.INTERN), figures
    )
    services.audit(request.user, report, fmt=fmt, request=request, dashboard=True)
    return _download(content, fmt, f"uebersicht_{report.start:%Y-%m-%d}_{report.end:%Y-%m-%d}")


def _report_form(request) -> ReportForm:
    if not policy.can(request.user, Capability.SEE_REPORTS):
        raise Http404
    data = request.GET.copy()
    if not policy.can(request.user, Capability.SEE_INTERNAL_REPORTS):
        data["fassung"] = services.OEFFENTLICH  # the data-protection officer: public version only
    form = ReportForm(data, user=request.user)
    form.is_valid()
    return form


@require_GET
def report(request):
    form = _report_form(request)
    context = {"form": form, "suppress_below": fig.SUPPRESS_BELOW}
    if form.errors:
        return render(request, "reports/report.html", context, status=400)
    report = form.report()
    figures = services.figures_of(report)
    services.audit(request.user, report, request=request)
    context.update(
        {
            "report": report,
            "figures": figures,
            "charts": services.charts_of(figures),
            "headlines": fig.headlines(figures),
            "query": _query(form),
        }
    )
    return render(request, "reports/report.html", context)


@require_GET
def report_export(request, fmt: str):
    form = _report_form(request)
    if fmt not in services.EXPORTS or form.errors:
        raise Http404
    report = form.report()
    figures = services.figures_of(report)
    content = services.EXPORTS[fmt][0](report, figures)
    services.audit(request.user, report, fmt=fmt, request=request)
    return _download(content, fmt, report.slug)
