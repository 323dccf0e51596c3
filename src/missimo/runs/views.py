from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from missimo import engine
from missimo.accounts import policy
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core import tables
from missimo.runs import services
from missimo.runs.forms import StartRunForm
from missimo.runs.models import Run
from missimo.runs.tasks import run_abgleich_task

RULE_TITLES = {rule.code: rule.title for rule in engine.RULES}


@require_http_methods(["GET", "POST"])
def run_list(request):
    if not policy.can(request.user, Capability.SEE_HINTS):
        raise Http404
    services.reconcile_interrupted_runs()
    form = StartRunForm(request.POST or None) if policy.can(request.user, Capability.START_RUN) else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                run = services.start_run(form.cleaned_data["stichtag"], user=request.user)
            except services.RunRefused as refused:
                messages.error(request, refused.message)
            else:
                transaction.on_commit(lambda: run_abgleich_task.enqueue(run.pk))
                return redirect("runs:detail", pk=run.pk)
    header, _rows = run_table([])
    return render(request, "runs/list.html", {"runs": listed_runs(), "header": header, "form": form})


RUN_LIST_LIMIT = 50


def listed_runs() -> list[Run]:
    """The runs of the Abgleich page: the latest 50, newest first."""
    return list(Run.objects.all()[:RUN_LIST_LIMIT])


def run_table(runs) -> tuple[list[str], list[list]]:
    header = ["Nr.", "Stichtag", "gestartet", "Status", "Ergebnis"]
    rows = [[r.pk, r.stichtag, r.created_at, r.get_status_display(), r.message or "–"] for r in runs]
    return header, rows


@require_GET
def run_export(request, fmt: str):
    """The Abgleich list as shown (the latest 50 runs, counts only) as CSV or XLSX."""
    if not policy.can(request.user, Capability.SEE_HINTS):
        raise Http404
    tables.require_format(fmt)
    header, rows = run_table(listed_runs())
    return tables.export(header, rows, fmt, "abgleiche", "Abgleiche")


@require_GET
def run_detail(request, pk: int):
    if not policy.can(request.user, Capability.SEE_HINTS):
        raise Http404
    run = get_object_or_404(Run, pk=pk)
    statuses = [{**s, "title": RULE_TITLES.get(s["rule"], s["rule"])} for s in run.rule_statuses]
    ranking = run.ranking.all()[:50] if policy.can(request.user, Capability.SEE_RANKING) else []
    template = "runs/_status.html" if request.htmx else "runs/detail.html"
    return render(request, template, {"run": run, "statuses": statuses, "ranking": ranking})


def _listed_hints(request):
    """The hints of the Hinweise page (all pages): the user's scope, the latest run, the rule filter."""
    if not policy.can(request.user, Capability.SEE_HINTS):
        raise Http404
    run = services.latest_run()
    hints = (
        services.hints_for(request.user).filter(run=run) if run else services.hints_for(request.user).none()
    )
    rule = request.GET.get("regel", "")
    visible_rules = sorted(set(hints.values_list("rule", flat=True)))
    if rule not in RULE_TITLES:
        rule = ""
    if rule:
        hints = hints.filter(rule=rule)
    return run, rule, visible_rules, hints.order_by("rule", "objekt_id", "primary_ref")


HINT_HEADER = ["Regel", "Bezeichnung", "Erläuterung", "Objekt", "Objekt-ID", "Betrag monatlich (€)", "Belege"]


def hint_table(hints) -> tuple[list[str], list[list]]:
    """The Hinweise list as a table: what each card shows, one row per hint."""
    rows = [
        [
            h.rule,
            RULE_TITLES.get(h.rule, h.rule),
            h.explanation,
            h.address or "keinem Gebäude zugeordnet",
            h.objekt_id,
            h.amount_monthly,
            ", ".join(h.evidence),
        ]
        for h in hints
    ]
    return HINT_HEADER, rows


@require_GET
def hint_list(request):
    run, rule, visible_rules, hints = _listed_hints(request)
    page = Paginator(hints, 50).get_page(request.GET.get("seite"))
    if page.object_list:
        record(
            request.user,
            AuditAction.READ,
            object_type="hint_list",
            object_id=run.pk if run else "",
            purpose="Sichtung der Prüfhinweise",
            details={"rule": rule, "page": page.number, "hints": [h.hint_id for h in page.object_list]},
            request=request,
        )
    return render(
        request,
        "runs/hints.html",
        {
            "run": run,
            "page": page,
            "rule": rule,
            "rules": [(code, RULE_TITLES[code]) for code in visible_rules],
            "rule_titles": RULE_TITLES,
            "querystring": urlencode({"regel": rule} if rule else {}),
        },
    )


@require_GET
def hint_export(request, fmt: str):
    """The Hinweise list (all pages, same filter and order) as CSV or XLSX; audited like reading it."""
    tables.require_format(fmt)
    run, rule, _visible, hints = _listed_hints(request)
    hints = list(hints)
    header, rows = hint_table(hints)
    record(
        request.user,
        AuditAction.EXPORT,
        object_type="hint_list",
        object_id=run.pk if run else "",
        purpose="Export der Prüfhinweise der eigenen Stelle",
        details={"format": fmt, "rule": rule, "hints": [h.hint_id for h in hints]},
        request=request,
    )
    return tables.export(header, rows, fmt, "hinweise", "Hinweise")


@require_GET
def rule_catalogue(request):
    """The published catalogue: every rule with its legal source and thresholds (transparency)."""
    settings_by_rule: dict[str, list] = {}
    for setting in engine.SETTINGS:
        for code in setting.rules:
            settings_by_rule.setdefault(code, []).append(setting)
    catalogue = [(rule, settings_by_rule.get(rule.code, [])) for rule in engine.RULES]
    return render(request, "runs/rules.html", {"catalogue": catalogue})


@require_http_methods(["GET", "POST"])
def hint_links(request, pk: int):
    """ "Warum verknüpft?": both records side by side, field by field, and the way to reject a link.
    Need-to-know: only pairs of records from sources the role may read; other agencies' records only
    as a count. Only the coordination office or the owner of both records may reject a link."""
    hint = get_object_or_404(services.hints_for(request.user), pk=pk)
    if request.method == "POST":
        try:
            services.reject_link(
                request.user,
                hint,
                request.POST.get("uid_left", ""),
                request.POST.get("uid_right", ""),
                request.POST.get("reason", ""),
            )
        except services.LinkJudgementDenied as denied:
            raise PermissionDenied(denied.message) from denied
        except services.RunRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                "Die Verknüpfung ist als „nicht dieselbe Person“ festgehalten. Ab dem nächsten Abgleich werden die "
                "beiden Datensätze nicht mehr verknüpft.",
            )
        return redirect("runs:links", pk=hint.pk)
    links, hidden = services.links_seen_by(request.user, hint)
    record(
        request.user,
        AuditAction.READ,
        object_type="hint_links",
        object_id=hint.hint_id,
        purpose="Prüfung der Personenverknüpfung eines Hinweises",
        details={
            "run": hint.run_id,
            "pairs": len(links),
            "records": sorted({uid for link in links for uid in (link["uid_left"], link["uid_right"])}),
            "hidden_records": hidden,
        },
        request=request,
    )
    return render(
        request,
        "runs/links.html",
        {"hint": hint, "links": links, "hidden": hidden, "rule_title": RULE_TITLES.get(hint.rule)},
    )
