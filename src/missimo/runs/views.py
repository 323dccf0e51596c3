from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from missimo import engine
from missimo.accounts import policy
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core import extensions, lists, tables
from missimo.runs import review, schedule, services
from missimo.runs.forms import StartRunForm
from missimo.runs.models import ReviewLabel, Run, RunStatus
from missimo.runs.tasks import run_abgleich_task

RULE_TITLES = engine.rule_titles()


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
    context = {"runs": listed_runs(), "header": header, "form": form, "next_run": schedule.next_run()}
    return render(request, "runs/list.html", context)


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
    return render(
        request,
        template,
        {
            "run": run,
            "statuses": statuses,
            "ranking": ranking,
            "may_review_links": policy.can(request.user, Capability.JUDGE_LINKS),
            # Sections of other apps (the ranking's calibration, ADR 0009); not in the htmx status.
            "panels": [] if request.htmx else extensions.panels("run", request, run),
        },
    )


@require_http_methods(["GET", "POST"])
def run_review(request, pk: int):
    """The review sample of a run's person linkage (issue #15): both records of each pair side by
    side with the field comparison, labelled "gleiche Person", "verschiedene Personen" or "unklar";
    the estimate of precision and missed share. Only the coordination office (JUDGE_LINKS)."""
    if not policy.can(request.user, Capability.JUDGE_LINKS):
        raise Http404
    run = get_object_or_404(Run, pk=pk, status=RunStatus.FINISHED)
    if request.method == "POST":
        labels = {}
        for key, value in request.POST.items():
            if key.startswith("paar-") and key[5:].isdigit() and value:
                labels[int(key[5:])] = value
        if not labels:
            messages.error(request, "Bitte beurteilen Sie mindestens ein Paar, bevor Sie speichern.")
        else:
            try:
                stored = review.label_pairs(request.user, run, labels)
            except review.ReviewRefused as refused:
                messages.error(request, refused.message)
            else:
                messages.success(
                    request,
                    f"{stored} Beurteilung{'' if stored == 1 else 'en'} gespeichert. Die Datensätze der "
                    "beurteilten Paare sind gelöscht; die Schätzung ist aktualisiert.",
                )
        return redirect("runs:review", pk=run.pk)
    pairs = list(review.open_pairs(run)[: review.PAGE_SIZE])
    strata = {s["key"]: s for s in run.link_review.get("strata", [])}
    for pair in pairs:
        pair.stratum_label = strata.get(pair.stratum, {}).get("label", pair.stratum)
        pair.link = {
            **pair.comparison,
            "uid_left": pair.uid_left,
            "uid_right": pair.uid_right,
            "probability": pair.probability,
        }
    if pairs:
        record(
            request.user,
            AuditAction.READ,
            object_type="link_review_sample",
            object_id=run.pk,
            purpose="Beurteilung der Stichprobe zur Güte der Personenverknüpfung",
            details={"records": sorted({uid for p in pairs for uid in (p.uid_left, p.uid_right)})},
            request=request,
        )
    return render(
        request,
        "runs/review.html",
        {
            "run": run,
            "pairs": pairs,
            "open_count": review.open_pairs(run).count(),
            "strata": review.stratum_rows(run),
            "quality": run.link_quality,
            "retention_days": review.retention_days(),
            "choices": ReviewLabel.choices,
        },
    )


HINT_COLUMNS = (
    lists.Column("regel", "Regel", ("rule", "objekt_id", "primary_ref")),
    lists.Column("objekt", "Objekt", ("address", "objekt_id", "rule")),
    lists.Column("stelle", "Zuständige Stelle", ("agency_kind", "rule")),
    lists.Column("betrag", "Betrag monatlich", ("amount_monthly",), numeric=True),
    lists.Column("stichtag", "Stichtag", ("run__stichtag", "rule")),
    lists.Column("belege", "Belege"),
)


def hint_filters(user, visible_rules, visible_agencies) -> list[lists.ListFilter]:
    """The filters of the Hinweise page: rule, agency, property, Stichtag range, and those other apps add
    (the review status, by the case work)."""
    agency_labels = dict(policy.AgencyKind.choices)
    return [
        lists.ChoiceFilter(
            "regel",
            "Regel",
            lambda qs, v: qs.filter(rule=v),
            choices=[(code, RULE_TITLES.get(code, code)) for code in visible_rules],
            empty_label="alle Regeln",
        ),
        *lists.registered_filters("hints", user),
        lists.ChoiceFilter(
            "stelle",
            "Zuständige Stelle",
            lambda qs, v: qs.filter(agency_kind=v),
            choices=[(kind, agency_labels.get(kind, kind)) for kind in visible_agencies],
        ),
        lists.TextFilter(
            "objekt",
            "Objekt",
            lists.token_search("address__icontains", "objekt_id__iexact", "hint_id__iexact"),
            hint="Straße, Hausnummer, PLZ, Objekt-ID oder Hinweis-ID",
        ),
        lists.DateFilter("von", "Stichtag von", lambda qs, v: qs.filter(run__stichtag__gte=v)),
        lists.DateFilter("bis", "Stichtag bis", lambda qs, v: qs.filter(run__stichtag__lte=v)),
    ]


def _hint_listing(request) -> tuple[Run | None, lists.Listing]:
    """The hints of the Hinweise page (all pages): the user's scope; the latest run, or every finished
    run whose Stichtag lies in the chosen range; the filters and the sort order of the query string."""
    if not policy.can(request.user, Capability.SEE_HINTS):
        raise Http404
    run = services.latest_run()
    scoped = services.hints_for(request.user).filter(run__status=RunStatus.FINISHED)
    visible_rules = sorted(set(scoped.values_list("rule", flat=True)))
    visible_agencies = sorted(set(scoped.values_list("agency_kind", flat=True)))
    by_date = any(request.GET.get(name, "").strip() for name in ("von", "bis"))
    if run is None:
        hints = scoped.none()
    elif by_date:
        hints = scoped
    else:
        hints = scoped.filter(run=run)
    listing = lists.Listing(
        request,
        hints.select_related("run"),
        columns=HINT_COLUMNS,
        default_sort="regel",
        filters=hint_filters(request.user, visible_rules, visible_agencies),
    )
    return run, listing


HINT_HEADER = [
    "Regel",
    "Bezeichnung",
    "Erläuterung",
    "Objekt",
    "Objekt-ID",
    "Zuständige Stelle",
    "Stichtag",
    "Betrag monatlich (€)",
    "Belege",
]


def hint_table(hints) -> tuple[list[str], list[list]]:
    """The Hinweise list as a table: what each row shows, one row per hint."""
    agency_labels = dict(policy.AgencyKind.choices)
    rows = [
        [
            h.rule,
            RULE_TITLES.get(h.rule, h.rule),
            h.explanation,
            h.address or "keinem Gebäude zugeordnet",
            h.objekt_id,
            agency_labels.get(h.agency_kind, h.agency_kind),
            h.run.stichtag,
            h.amount_monthly,
            ", ".join(h.evidence),
        ]
        for h in hints
    ]
    return HINT_HEADER, rows


@require_GET
def hint_list(request):
    run, listing = _hint_listing(request)
    page = listing.page
    page.object_list = services.shown_to(request.user, page.object_list)
    if page.object_list:
        record(
            request.user,
            AuditAction.READ,
            object_type="hint_list",
            object_id=run.pk if run else "",
            purpose="Sichtung der Prüfhinweise",
            details={**listing.audit_details(), "hints": [h.hint_id for h in page.object_list]},
            request=request,
        )
    return render(
        request,
        "runs/hints.html",
        {
            "run": run,
            "listing": listing,
            "page": page,
            "rule_titles": RULE_TITLES,
            "agency_labels": dict(policy.AgencyKind.choices),
            "links_to_properties": policy.can(request.user, Capability.SEE_REGISTER),
            "querystring": listing.querystring,
        },
    )


@require_GET
def hint_export(request, fmt: str):
    """The Hinweise list (all pages, same filter and order) as CSV or XLSX; audited like reading it."""
    tables.require_format(fmt)
    run, listing = _hint_listing(request)
    hints = services.shown_to(request.user, listing.queryset)
    header, rows = hint_table(hints)
    record(
        request.user,
        AuditAction.EXPORT,
        object_type="hint_list",
        object_id=run.pk if run else "",
        purpose="Export der Prüfhinweise der eigenen Stelle",
        details={
            "format": fmt,
            "filters": listing.audit_details()["filters"],
            "sort": listing.sort,
            "hints": [h.hint_id for h in hints],
        },
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
    if services.shown_to(request.user, [hint])[0].withheld:
        raise Http404  # an acting agency sees the facts it needs, not the owner's person records
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
