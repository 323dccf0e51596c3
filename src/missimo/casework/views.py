from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from missimo import engine
from missimo.accounts import policy
from missimo.accounts.models import User
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.casework import services, workflow
from missimo.casework.forms import REASON_CHOICES, CampaignForm, CaseEditForm, CaseForm
from missimo.casework.models import CaseStatus, ReviewDecision
from missimo.core import extensions, lists, tables
from missimo.core.params import row_id
from missimo.properties.services import properties_for
from missimo.runs.services import latest_run, shown_to

RULE_TITLES = engine.rule_titles()
PAGE_SIZE = 50
SELECTION_LIMIT = 300  # ranked properties shown for selection; "Top N" reaches further


def _require(allowed: bool) -> None:
    if not allowed:
        raise Http404


# --- campaigns ------------------------------------------------------------------------------


def _listed_campaigns(request):
    _require(policy.can(request.user, Capability.WORK_CASES))
    return [
        (campaign, services.status_counts(campaign.cases.all()))
        for campaign in services.campaigns_for(request.user).prefetch_related("agencies")
    ]


def campaign_table(campaigns) -> tuple[list[str], list[list]]:
    """The campaign list as a table: name, period, agencies and the number of cases per status."""
    header = ["Bezeichnung", "Zeitraum", "Beteiligte Behörden"] + [
        str(label) for _, label in CaseStatus.choices
    ]
    rows = [
        [
            campaign.name,
            f"{campaign.start:%d.%m.%Y} – {campaign.end:%d.%m.%Y}",
            ", ".join(str(agency) for agency in campaign.agencies.all()),
            *[n for _code, _label, n in counts],
        ]
        for campaign, counts in campaigns
    ]
    return header, rows


@require_GET
def campaign_list(request):
    campaigns = _listed_campaigns(request)
    header, _rows = campaign_table([])
    return render(
        request,
        "casework/campaign_list.html",
        {
            "campaigns": campaigns,
            "header": header,
            "may_manage": policy.can(request.user, Capability.MANAGE_CAMPAIGNS),
            "statuses": CaseStatus.choices,
            "run": latest_run(),
        },
    )


@require_GET
def campaign_export(request, fmt: str):
    """The campaign list as shown (names, periods, agencies, counts) as CSV or XLSX."""
    tables.require_format(fmt)
    header, rows = campaign_table(_listed_campaigns(request))
    return tables.export(header, rows, fmt, "aktionszeitraeume", "Aktionszeiträume")


@require_http_methods(["GET", "POST"])
def campaign_create(request):
    _require(policy.can(request.user, Capability.MANAGE_CAMPAIGNS))
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign = services.create_campaign(request.user, form.cleaned_data, request=request)
        messages.success(
            request, "Der Aktionszeitraum ist angelegt. Wählen Sie jetzt die Objekte aus der Rangliste."
        )
        return redirect("casework:campaign_select", pk=campaign.pk)
    return render(request, "casework/campaign_form.html", {"form": form, "run": latest_run()})


def _case_page(request, cases, per_page=PAGE_SIZE):
    return Paginator(cases, per_page).get_page(request.GET.get("seite"))


def _record_case_list(
    request, object_type: str, purpose: str, cases, details: dict | None = None, object_id: str | int = ""
) -> None:
    """Audit reading a list of cases; `object_id` names what the list belongs to (the campaign), else
    the case numbers shown (searchable, at most 200 characters), so that every entry can be found by
    an object id (issue #21)."""
    if cases:
        record(
            request.user,
            AuditAction.READ,
            object_type=object_type,
            object_id=object_id or ",".join(c.aktenzeichen for c in cases)[:200],
            purpose=purpose,
            details={**(details or {}), "cases": [c.aktenzeichen for c in cases]},
            request=request,
        )


@require_GET
def campaign_detail(request, pk: int):
    _require(policy.can(request.user, Capability.WORK_CASES))
    campaign = get_object_or_404(services.campaigns_for(request.user), pk=pk)
    query = services.CaseQuery(campaign=str(campaign.pk))
    cases = services.listed_cases(request.user, query)
    page = _case_page(request, cases)
    rows = [(case, services.case_row(case)) for case in page.object_list]
    _record_case_list(
        request,
        "campaign",
        "Einsicht in einen Aktionszeitraum",
        page.object_list,
        {"campaign": campaign.pk},
        object_id=campaign.pk,
    )
    return render(
        request,
        "casework/campaign_detail.html",
        {
            "campaign": campaign,
            "page": page,
            "rows": rows,
            "columns": services.CASE_COLUMNS,
            "counts": services.status_counts(services.cases_for(request.user).filter(campaign=campaign)),
            "may_manage": policy.can(request.user, Capability.MANAGE_CAMPAIGNS),
            "may_report": policy.can(request.user, Capability.SEE_REPORTS),
            "querystring": urlencode(query.as_params()),
        },
    )


@require_http_methods(["GET", "POST"])
def campaign_select(request, pk: int):
    _require(policy.can(request.user, Capability.MANAGE_CAMPAIGNS))
    campaign = get_object_or_404(services.campaigns_for(request.user), pk=pk)
    ranking = services.ranking_for_campaign(campaign)
    if request.method == "POST":
        if request.POST.get("aktion") == "top":
            try:
                top_n = int(request.POST.get("top_n", ""))
            except ValueError:
                top_n = 0
            if not 1 <= top_n <= 10000:
                messages.error(request, "Bitte geben Sie für „Top N“ eine Zahl zwischen 1 und 10.000 an.")
                return redirect("casework:campaign_select", pk=campaign.pk)
            chosen = list(ranking.values_list("objekt_id", flat=True)[:top_n])
        else:
            chosen = request.POST.getlist("objekt")
        if not chosen:
            messages.error(request, "Bitte wählen Sie mindestens ein Objekt aus.")
            return redirect("casework:campaign_select", pk=campaign.pk)
        created = services.select_properties(request.user, campaign, chosen, request=request)
        if created:
            messages.success(request, f"{len(created)} Prüffälle angelegt.")
        else:
            messages.info(request, "Die ausgewählten Objekte gehören schon zu diesem Aktionszeitraum.")
        return redirect("casework:campaign_detail", pk=campaign.pk)
    taken = set(campaign.cases.exclude(property=None).values_list("property__objekt_id", flat=True))
    shown = list(ranking[:SELECTION_LIMIT])
    record(
        request.user,
        AuditAction.READ,
        object_type="ranking",
        object_id=campaign.run_id or "",
        purpose="Auswahl von Objekten für einen Aktionszeitraum",
        details={"campaign": campaign.pk, "objekte": [r.objekt_id for r in shown]},
        request=request,
    )
    return render(
        request,
        "casework/campaign_select.html",
        {
            "campaign": campaign,
            "ranking": shown,
            "total": ranking.count(),
            "limit": SELECTION_LIMIT,
            "taken": taken,
            "run": campaign.run or latest_run(),
            "rule_titles": RULE_TITLES,
        },
    )


# --- hint queue (Prüfliste) -----------------------------------------------------------------


QUEUE_COLUMNS = (
    lists.Column("rang", "Rang", ("rank", "rule", "primary_ref")),
    lists.Column("regel", "Regel", ("rule", "rank", "primary_ref")),
    lists.Column("objekt", "Objekt", ("address", "objekt_id", "rule")),
    lists.Column("betrag", "Betrag monatlich", ("amount_monthly", "rank"), numeric=True),
    lists.Column("status", "Status", ("review_status", "rank", "rule")),
)


def _queue_listing(request) -> lists.Listing:
    """The Prüfliste (all pages): the hints of the latest run the user reviews, filtered by rule, status
    and property, in ranking order unless another order is chosen."""
    everything = services.hint_queue(request.user)
    visible_rules = sorted(set(everything.order_by().values_list("rule", flat=True)))
    filters = [
        lists.ChoiceFilter(
            "regel",
            "Regel",
            lambda qs, v: qs.filter(rule=v),
            choices=[
                (code, f"{code} – {RULE_TITLES[code]}") for code in visible_rules if code in RULE_TITLES
            ],
            empty_label="alle Regeln",
        ),
        lists.ChoiceFilter(
            "status",
            "Status",
            lambda qs, v: qs.filter(review_status=v),
            choices=list(services.HintStatus.LABELS.items()),
        ),
        lists.TextFilter(
            "objekt",
            "Objekt",
            lists.token_search("address__icontains", "objekt_id__iexact", "hint_id__iexact"),
            hint="Straße, Hausnummer, PLZ, Objekt-ID oder Hinweis-ID",
        ),
    ]
    return lists.Listing(request, everything, columns=QUEUE_COLUMNS, default_sort="rang", filters=filters)


QUEUE_HEADER = [
    "Rang",
    "Regel",
    "Bezeichnung",
    "Hinweis-ID",
    "Status",
    "Erläuterung",
    "Objekt",
    "Objekt-ID",
    "Betrag monatlich (€)",
]


def queue_table(hints) -> tuple[list[str], list[list]]:
    """The Prüfliste as a table: what each card shows, one row per hint, in ranking order."""
    rows = [
        [
            h.rank,
            h.rule,
            RULE_TITLES.get(h.rule, h.rule),
            h.hint_id,
            services.HintStatus.LABELS.get(h.review_status, h.review_status),
            h.explanation,
            h.address or "keinem Gebäude zugeordnet",
            h.objekt_id,
            h.amount_monthly,
        ]
        for h in hints
    ]
    return QUEUE_HEADER, rows


@require_GET
def hint_queue(request):
    _require(policy.can(request.user, Capability.REVIEW_HINTS))
    run = latest_run()
    listing = _queue_listing(request)
    page = listing.page
    page.object_list = shown_to(request.user, page.object_list)
    histories = {}
    for review in services.HintReview.objects.filter(hint__in=[h.pk for h in page.object_list]).order_by(
        "reviewed_at", "id"
    ):
        histories.setdefault(review.hint_id, []).append(review)
    cases: dict[int, list] = {}
    if policy.can(request.user, Capability.WORK_CASES):
        for case in (
            services.cases_for(request.user)
            .filter(hints__in=[h.pk for h in page.object_list])
            .annotate(hint_pk=F("hints__pk"))
            .order_by("aktenzeichen")
        ):
            cases.setdefault(case.hint_pk, []).append(case)
    items = [(h, histories.get(h.pk, []), cases.get(h.pk, [])) for h in page.object_list]
    if page.object_list:
        record(
            request.user,
            AuditAction.READ,
            object_type="hint_queue",
            object_id=run.pk if run else "",
            purpose="Sichtung der Prüfliste",
            details={**listing.audit_details(), "hints": [h.hint_id for h in page]},
            request=request,
        )
    return render(
        request,
        "casework/hint_queue.html",
        {
            "run": run,
            "listing": listing,
            "page": page,
            "items": items,
            "status_labels": services.HintStatus.LABELS,
            "rule_titles": RULE_TITLES,
            "reasons": REASON_CHOICES,
            "querystring": listing.querystring,
            "links_to_properties": policy.can(request.user, Capability.SEE_REGISTER),
            "next": request.get_full_path(),
        },
    )


@require_GET
def hint_queue_export(request, fmt: str):
    """The Prüfliste (all pages, same filters and order) as CSV or XLSX; audited like reading it."""
    _require(policy.can(request.user, Capability.REVIEW_HINTS))
    tables.require_format(fmt)
    run = latest_run()
    listing = _queue_listing(request)
    hints = shown_to(request.user, listing.queryset)
    header, rows = queue_table(hints)
    record(
        request.user,
        AuditAction.EXPORT,
        object_type="hint_queue",
        object_id=run.pk if run else "",
        purpose="Export der Prüfliste der eigenen Stelle",
        details={
            "format": fmt,
            "filters": listing.audit_details()["filters"],
            "sort": listing.sort,
            "hints": [h.hint_id for h in hints],
        },
        request=request,
    )
    return tables.export(header, rows, fmt, "pruefliste", "Prüfliste")


def _queue_target(request) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith(reverse("casework:hint_queue")) else reverse("casework:hint_queue")


@require_POST
def hint_review_bulk(request):
    """Several hints of the Prüfliste proposed for inspection at once (the checked ones); each is a
    review of its own, recorded and audited as if proposed one by one."""
    _require(policy.can(request.user, Capability.REVIEW_HINTS))
    ids = [pk for raw in request.POST.getlist("hinweis") if (pk := row_id(raw)) is not None]
    if not ids:
        messages.error(request, "Bitte wählen Sie mindestens einen Hinweis aus.")
        return redirect(_queue_target(request))
    hints = list(services.hints_for(request.user).filter(pk__in=ids).order_by("pk"))
    proposed, refused = [], []
    for hint in hints:
        try:
            services.review_hint(request.user, hint, ReviewDecision.BESTAETIGT, request=request)
        except services.ReviewRefused as refusal:
            refused.append(f"Hinweis {hint.hint_id}: {refusal.message}")
        else:
            proposed.append(hint.hint_id)
    if proposed:
        messages.success(
            request, f"{len(proposed)} Hinweise sind zur Kontrolle vorgeschlagen: {', '.join(proposed)}."
        )
    for message in refused:
        messages.error(request, message)
    if len(hints) < len(ids):
        messages.error(
            request, "Einige ausgewählte Hinweise gibt es nicht oder Sie dürfen sie nicht sichten."
        )
    return redirect(_queue_target(request))


@require_POST
def hint_review(request, pk: int):
    _require(policy.can(request.user, Capability.REVIEW_HINTS))
    hint = get_object_or_404(services.hints_for(request.user), pk=pk)
    decision = request.POST.get("entscheidung", "")
    try:
        services.review_hint(
            request.user,
            hint,
            decision,
            request.POST.get("grund", ""),
            request.POST.get("erlaeuterung", ""),
            request=request,
        )
    except services.ReviewRefused as refused:
        messages.error(request, f"Hinweis {hint.hint_id}: {refused.message}")
    else:
        if decision == ReviewDecision.BESTAETIGT:
            messages.success(request, f"Hinweis {hint.hint_id} ist zur Kontrolle vorgeschlagen.")
        else:
            messages.success(request, f"Hinweis {hint.hint_id} ist verworfen.")
    target = _queue_target(request)
    return redirect(f"{target}#hinweis-{hint.pk}" if "#" not in target else target)


# --- case lists -----------------------------------------------------------------------------


CASE_SORT = {
    "aktenzeichen": ("aktenzeichen",),
    "objekt": ("property__sort_address", "aktenzeichen"),
    "aktion": ("campaign__name", "aktenzeichen"),
    "anlass": ("origin", "aktenzeichen"),
    "status": ("status", "aktenzeichen"),
    "zustaendig": ("assigned_to__last_name", "assigned_to__username", "aktenzeichen"),
    "federfuehrend": ("lead_agency__name", "aktenzeichen"),
    "hinweise": ("visible_hints", "aktenzeichen"),
    "angelegt": ("created_at",),
}


def _case_listing(request, query) -> lists.Listing:
    """The case list (all pages) with the query's filters, sorted by a column (newest first by default)."""
    columns = [lists.Column(key, label, CASE_SORT.get(key, ())) for key, label in services.CASE_COLUMNS]
    return lists.Listing(
        request,
        services.listed_cases(request.user, query),
        columns=columns,
        default_sort="-angelegt",
        carry=query.as_params(),
    )


def _case_list(request, *, mine: bool):
    _require(policy.can(request.user, Capability.WORK_CASES))
    query = services.CaseQuery.from_params(request.GET, mine=mine)
    listing = _case_listing(request, query)
    page = listing.page
    rows = [(case, services.case_row(case)) for case in page.object_list]
    _record_case_list(
        request,
        "case_list",
        "Meine Prüffälle" if mine else "Sichtung der Prüffälle",
        page.object_list,
        {"filters": query.as_params(), "page": page.number, "sort": listing.sort},
    )
    params = listing.params()
    if mine:
        params["meine"] = "1"
    assignable = []
    if policy.can(request.user, Capability.ASSIGN_CASES) and not mine:
        assignable = list(services.assignable_users())
    return render(
        request,
        "casework/case_list.html",
        {
            "mine": mine,
            "query": query,
            "listing": listing,
            "page": page,
            "rows": rows,
            "columns": services.CASE_COLUMNS,
            "statuses": CaseStatus.choices,
            "campaigns": services.campaigns_for(request.user),
            "querystring": urlencode(params),
            "filter_params": urlencode(query.as_params()),
            "assignable": assignable,
        },
    )


@require_GET
def case_list(request):
    return _case_list(request, mine=False)


@require_GET
def my_cases(request):
    return _case_list(request, mine=True)


@require_GET
def case_export(request, fmt: str):
    _require(policy.can(request.user, Capability.WORK_CASES))
    if fmt not in ("csv", "xlsx"):
        raise Http404
    mine = request.GET.get("meine") == "1"
    query = services.CaseQuery.from_params(request.GET, mine=mine)
    cases = _case_listing(request, query).queryset
    content = services.export_cases(request.user, query, fmt, request=request, cases=cases)
    return tables.download(content, "meine-pruffaelle" if mine else "pruffaelle", fmt)


@require_POST
def case_assign(request):
    _require(policy.can(request.user, Capability.ASSIGN_CASES))
    ids = [pk for pk in map(row_id, request.POST.getlist("fall")) if pk is not None]
    back = reverse("casework:cases")
    if request.POST.get("zurueck", "").startswith(back):
        back = request.POST["zurueck"]
    if not ids:
        messages.error(request, "Bitte wählen Sie mindestens einen Prüffall aus.")
        return redirect(back)
    assignee = User.objects.filter(pk=request.POST.get("zustaendig") or 0, is_active=True).first()
    if assignee is None:
        messages.error(request, "Bitte wählen Sie, wem die Prüffälle zugewiesen werden.")
        return redirect(back)
    cases = list(services.cases_for(request.user).filter(pk__in=ids))
    if len(cases) != len(set(ids)):
        raise Http404
    try:
        changed = services.assign_cases(request.user, cases, assignee, request=request)
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"{len(changed)} Prüffälle {assignee.display_name} zugewiesen.")
    return redirect(back)


@require_GET
def caseload(request):
    _require(policy.can(request.user, Capability.ASSIGN_CASES))
    header, _rows = caseload_table([])
    return render(
        request,
        "casework/caseload.html",
        {"rows": services.caseload(request.user), "header": header, "statuses": CaseStatus.choices},
    )


def caseload_table(caseload_rows) -> tuple[list[str], list[list]]:
    """The team caseload as a table: assignee, cases per status, open, total."""
    header = ["zuständig", *[str(label) for _, label in CaseStatus.choices], "offen", "gesamt"]
    rows = [[row["name"], *row["counts"], row["open"], row["total"]] for row in caseload_rows]
    return header, rows


@require_GET
def caseload_export(request, fmt: str):
    """The team caseload as shown (counts per person and status) as CSV or XLSX."""
    _require(policy.can(request.user, Capability.ASSIGN_CASES))
    tables.require_format(fmt)
    header, rows = caseload_table(services.caseload(request.user))
    return tables.export(header, rows, fmt, "fallbelastung", "Fallbelastung")


# --- single case ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def case_create(request):
    _require(policy.can(request.user, Capability.WORK_CASES))
    q = (request.POST.get("q") if request.method == "POST" else request.GET.get("q", "")) or ""
    candidates = services.search_properties(request.user, q)
    if request.method == "POST" and request.POST.get("anlegen"):
        form = CaseForm(request.POST, candidates=candidates)
        if form.is_valid():
            try:
                case = services.open_case(
                    request.user,
                    {
                        "origin": form.cleaned_data["origin"],
                        "title": form.cleaned_data["title"],
                        "description": form.cleaned_data["description"],
                        "property": form.cleaned_data["property"],
                    },
                    request=request,
                )
            except services.TransitionRefused as refused:
                messages.error(request, refused.message)
            else:
                messages.success(request, f"Prüffall {case.aktenzeichen} angelegt.")
                return redirect("casework:case_detail", pk=case.pk)
    else:
        initial = {"property": str(candidates[0].pk)} if len(candidates) == 1 else {}
        form = CaseForm(initial=initial, candidates=candidates)
    return render(
        request,
        "casework/case_form.html",
        {"form": form, "q": q, "candidates": candidates, "searched": bool(q.strip())},
    )


def _scoped_case(request, pk: int):
    _require(policy.can(request.user, Capability.WORK_CASES))
    return get_object_or_404(
        services.cases_for(request.user).select_related("property", "campaign", "assigned_to", "lead_agency"),
        pk=pk,
    )


def _case_context(request, case) -> dict:
    hints = shown_to(request.user, services.with_review_status(services.case_hints_for(request.user, case)))
    transitions = [
        {
            "to": target,
            "label": workflow.action_label(case.status, target),
            "reason_required": workflow.reason_required(case.status, target),
            "danger": target == CaseStatus.VERWORFEN,
        }
        for target in workflow.allowed_targets(case.status)
    ]
    prop_visible = case.property_id is not None and properties_for(request.user).filter(pk=case.property_id)
    return {
        "case": case,
        "hints": hints,
        "status_labels": services.HintStatus.LABELS,
        "rule_titles": RULE_TITLES,
        # hints of the case link to their outcome page (same scope: the user's hints, own agency records)
        "links_to_outcomes": policy.can(request.user, Capability.RECORD_OUTCOMES)
        and request.user.agency_id is not None,
        "events": case.events.all(),
        "transitions": transitions,
        "panels": extensions.panels("case", request, case),
        "property_link": bool(prop_visible and prop_visible.exists()),
    }


@require_GET
def case_detail(request, pk: int):
    case = _scoped_case(request, pk)
    context = _case_context(request, case)
    record(
        request.user,
        AuditAction.READ,
        object_type="case",
        object_id=case.aktenzeichen,
        purpose="Einsicht in einen Prüffall",
        details={"hints": [h.hint_id for h in context["hints"]]},
        request=request,
    )
    return render(request, "casework/case_detail.html", context)


@require_POST
def case_transition(request, pk: int):
    case = _scoped_case(request, pk)
    try:
        services.transition(
            request.user,
            case,
            request.POST.get("status", ""),
            request.POST.get("begruendung", ""),
            version=request.POST.get("version") or None,
            request=request,
        )
    except services.ConflictError as clash:
        case.refresh_from_db()
        context = _case_context(request, case)
        context["conflict"] = clash
        return render(request, "casework/case_detail.html", context, status=409)
    except (services.TransitionRefused, ValueError) as refused:
        messages.error(request, getattr(refused, "message", "Diese Änderung ist nicht möglich."))
    else:
        messages.success(request, f"Neuer Status: {case.get_status_display()}.")
    return redirect("casework:case_detail", pk=case.pk)


@require_http_methods(["GET", "POST"])
def case_edit(request, pk: int):
    case = _scoped_case(request, pk)
    conflict = None
    # A case opened without a property gets one here: search, choose, save (once; it cannot change).
    q = ((request.POST.get("q") if request.method == "POST" else request.GET.get("q", "")) or "").strip()
    candidates = services.search_properties(request.user, q) if case.property_id is None else []
    if request.method == "POST":
        form = CaseEditForm.for_case(case, request.POST, candidates)
        if form.is_valid():
            data = {
                key: form.cleaned_data[key]
                for key in (
                    "title",
                    "description",
                    "assigned_to",
                    "due_date",
                    "follow_up_date",
                    "follow_up_note",
                )
            }
            if form.cleaned_data.get("property") is not None:
                data["property"] = form.cleaned_data["property"]
            try:
                services.update_case(request.user, case, data, form.cleaned_data["version"], request=request)
            except services.ConflictError as clash:
                conflict = clash
                case.refresh_from_db()
                posted = request.POST.copy()
                posted["version"] = str(case.version)
                form = CaseEditForm.for_case(case, posted, candidates)
                form.is_valid()
            except services.TransitionRefused as refused:
                messages.error(request, refused.message)
            else:
                messages.success(request, "Der Prüffall wurde gespeichert.")
                return redirect("casework:case_detail", pk=case.pk)
    else:
        form = CaseEditForm.for_case(case, candidates=candidates)
    return render(
        request,
        "casework/case_edit.html",
        {
            "case": case,
            "form": form,
            "conflict": conflict,
            "q": q,
            "candidates": candidates,
            "searched": bool(q),
        },
        status=409 if conflict else 200,
    )


# --- deadlines (Fristen) --------------------------------------------------------------------


@require_GET
def deadlines(request):
    """The Fristen page: the user's own deadlines and follow-ups of open cases, of measures and
    letters (from the apps that own them), overdue first."""
    _require(policy.can(request.user, Capability.WORK_CASES))
    mine = request.GET.get("alle") != "1"
    found = services.all_deadlines_for(request.user, mine=mine)
    overdue = [d for d in found if d.overdue]
    return render(
        request,
        "casework/deadlines.html",
        {"overdue": overdue, "later": [d for d in found if not d.overdue], "mine": mine},
    )


@require_GET
def deadlines_ics(request):
    """The user's own Fristen and Wiedervorlagen as an iCalendar file (for the team's calendar)."""
    _require(policy.can(request.user, Capability.WORK_CASES))
    response = HttpResponse(services.deadlines_ics(request.user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="missimo-fristen.ics"'
    return response
