from __future__ import annotations

from itertools import groupby
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from missimo import engine
from missimo.accounts import policy
from missimo.accounts.policy import Capability, Field
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core import extensions, tables
from missimo.properties import owners, services
from missimo.properties.forms import CaseworkForm, MeasureForm
from missimo.properties.models import AMPEL_MATRIX, Ampel, Category, Level, Property
from missimo.runs.services import latest_run, shown_to

RULE_TITLES = engine.rule_titles()
PAGE_SIZE = 50


def _require_register(user) -> None:
    if not policy.can(user, Capability.SEE_REGISTER):
        raise Http404


def _query(request) -> services.ListQuery:
    return services.ListQuery.from_params(
        request.GET, rank_allowed=policy.sees_field(request.user, Field.RANK)
    )


def _map_settings() -> dict:
    return {"tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION}


NUMERIC_COLUMNS = frozenset({"hinweise", "rang", "wohneinheiten"})


def _cell(prop: Property, key: str, value) -> tuple[bool, str]:
    """(numeric, escaped HTML) of one list cell. Built here rather than with a chain of template
    conditions per cell: the 50 rows x 9 cells of a page were most of its rendering time."""
    if key == "adresse":
        return False, format_html('<a class="kern-link" href="{}">{}</a>', _detail_url(prop.pk), value)
    if key == "ampel":
        return False, format_html(
            '<span class="ampel ampel--{}"><span class="ampel__dot" aria-hidden="true"></span>{}</span>',
            prop.ampel,
            value,
        )
    return key in NUMERIC_COLUMNS, conditional_escape("–" if value is None else value)


def _detail_url(pk: int) -> str:
    return reverse("properties:detail", args=[pk])


@require_GET
def property_list(request):
    _require_register(request.user)
    query = _query(request)
    queryset = services.listed(request.user, query)
    page = Paginator(queryset, query.size).get_page(request.GET.get("seite"))
    cols = services.columns(request.user)
    keys = [key for key, _ in cols]
    rows = [
        (
            prop,
            [_cell(prop, key, value) for key, value in zip(keys, services.row_of(prop, cols), strict=True)],
        )
        for prop in page.object_list
    ]
    if rows:
        record(
            request.user,
            AuditAction.READ,
            object_type="property_list",
            purpose="Sichtung des Immobilienkatasters",
            details={
                "filters": query.as_params(),
                "page": page.number,
                "objekte": [p.objekt_id for p, _ in rows],
            },
            request=request,
        )
    params = query.as_params()
    sorts = [
        (key, label)
        for key, (label, _) in services.SORTS.items()
        if key != "rang" or policy.sees_field(request.user, Field.RANK)
    ]
    plzs = services.plz_choices(request.user)
    sortable = {key for key, _label in sorts}
    headers = [
        {
            "key": key,
            "label": label,
            "numeric": key in NUMERIC_COLUMNS,
            "url": "?" + urlencode({**params, "sortierung": key}) if key in sortable else "",
            # the register sorts each column one way: addresses A-Z, rank 1 first, most hints first
            "aria_sort": ("descending" if key == "hinweise" else "ascending") if key == query.sort else "",
        }
        for key, label in cols
    ]
    return render(
        request,
        "properties/list.html",
        {
            "page": page,
            "rows": rows,
            "columns": cols,
            "headers": headers,
            "query": query,
            "querystring": urlencode(params),
            "params": params,
            "sorts": sorts,
            "ampeln": Ampel.choices,
            "kategorien": Category.choices,
            "plzs": list(plzs),
            "bestaende": list(services.BESTAND.items()),
            "page_sizes": services.PAGE_SIZES,
            "run": latest_run(),
            "map": _map_settings(),
        },
    )


@require_GET
def map_data(request):
    _require_register(request.user)
    query = _query(request)
    markers, total = services.markers(services.listed(request.user, query))
    base = reverse("properties:detail", args=[0]).removesuffix("0/")
    for marker in markers:
        marker["url"] = f"{base}{marker['id']}/"
    record(
        request.user,
        AuditAction.READ,
        object_type="property_map",
        purpose="Sichtung des Immobilienkatasters (Karte)",
        details={"filters": query.as_params(), "markers": len(markers)},
        request=request,
    )
    return JsonResponse({"markers": markers, "total": total, "limit": services.MAP_LIMIT})


@require_GET
def export_csv(request):
    _require_register(request.user)
    return tables.download(
        services.export(request.user, _query(request), "csv", request=request), "objekte", "csv"
    )


@require_GET
def export_xlsx(request):
    _require_register(request.user)
    content = services.export(request.user, _query(request), "xlsx", request=request)
    return tables.download(content, "objekte", "xlsx")


def _scoped_property(request, pk: int) -> Property:
    _require_register(request.user)
    return get_object_or_404(services.properties_for(request.user), pk=pk)


def _detail_context(request, prop: Property) -> dict:
    run = latest_run()
    hints = shown_to(
        request.user,
        services.visible_hints(request.user, run)
        .filter(objekt_id=prop.objekt_id)
        .order_by("rule", "primary_ref"),
    )
    groups = [
        {"rule": rule, "title": RULE_TITLES.get(rule, rule), "hints": list(items)}
        for rule, items in groupby(hints, key=lambda h: h.rule)
    ]
    day = services.reference_date()
    return {
        "prop": prop,
        "run": run,
        "hint_groups": groups,
        "hints": hints,
        "residents": services.residents_count(prop),
        "residents_day": day,
        "measures": prop.measures.select_related("created_by"),
        "complaints": prop.complaints.all(),
        "may_decide": policy.can(request.user, Capability.RECORD_STEERING_DECISIONS),
        "owner_kinds": owners.Owner.Kind.choices,
        "events": prop.events.all(),
        "may_edit": policy.can(request.user, Capability.EDIT_REGISTER),
        "sees_owner": policy.sees_field(request.user, Field.OWNER),
        "map": _map_settings(),
        "panels": extensions.panels("property", request, prop),
    }


@require_GET
def property_detail(request, pk: int):
    prop = _scoped_property(request, pk)
    context = _detail_context(request, prop)
    record(
        request.user,
        AuditAction.READ,
        object_type="property",
        object_id=prop.objekt_id,
        purpose="Einsicht in die Objektakte (Prüfhinweise und Fallbearbeitung)",
        details={
            "hints": [h.hint_id for h in context["hints"]],
            "run": context["run"].pk if context["run"] else None,
        },
        request=request,
    )
    return render(request, "properties/detail.html", context)


@require_GET
def property_by_objekt(request, objekt_id: str):
    """The property page by its Objekt-ID: the address lists that know only the Objekt-ID link to
    (hints, Prüfliste). 404 for a property the user may not see, as on the page itself."""
    _require_register(request.user)
    prop = get_object_or_404(services.properties_for(request.user), objekt_id=objekt_id)
    return redirect("properties:detail", pk=prop.pk)


def _matrix_rows() -> list[tuple[str, list[str]]]:
    """The Ampel matrix as table rows, highest Problemdruck first (the same data the model uses)."""
    short = {Ampel.ROT: "rot", Ampel.GELB: "gelb", Ampel.GRUEN: "grün", Ampel.OFFEN: "nicht bewertet"}
    return [
        (Level(pressure).label, [short[Ampel(AMPEL_MATRIX[pressure][option])] for option in Level.values])
        for pressure in reversed(Level.values)
    ]


@require_http_methods(["GET", "POST"])
def property_edit(request, pk: int):
    prop = _scoped_property(request, pk)
    if not policy.can(request.user, Capability.EDIT_REGISTER):
        raise Http404
    conflict = False
    if request.method == "POST":
        form = CaseworkForm.for_property(prop, request.POST)
        if form.is_valid():
            try:
                services.update_casework(
                    request.user, prop, form.casework(), form.cleaned_data["version"], request=request
                )
            except services.CaseworkConflict as clash:
                conflict = True
                messages.error(request, clash.message)
                prop.refresh_from_db()
                data = request.POST.copy()
                data["version"] = str(prop.version)
                form = CaseworkForm.for_property(prop, data)
                form.is_valid()
            else:
                messages.success(request, "Die Fallbearbeitung wurde gespeichert.")
                return redirect("properties:detail", pk=prop.pk)
    else:
        form = CaseworkForm.for_property(prop)
    return render(
        request,
        "properties/edit.html",
        {"prop": prop, "form": form, "conflict": conflict, "levels": Level.choices, "matrix": _matrix_rows()},
        status=409 if conflict else 200,
    )


@require_http_methods(["GET", "POST"])
def measure_add(request, pk: int):
    prop = _scoped_property(request, pk)
    if not policy.can(request.user, Capability.EDIT_REGISTER):
        raise Http404
    form = MeasureForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.add_measure(request.user, prop, form.cleaned_data, request=request)
        messages.success(request, "Das Verfahren bzw. die Maßnahme wurde erfasst.")
        return redirect("properties:detail", pk=prop.pk)
    return render(request, "properties/measure.html", {"prop": prop, "form": form})


# --- owners and complaints (properties.owners) ----------------------------------------------


@require_POST
def owner_assign(request, pk: int):
    prop = _scoped_property(request, pk)
    if not (owners.may_edit(request.user) and owners.may_see_owners(request.user)):
        raise Http404
    try:
        owners.assign_owner(
            request.user,
            prop,
            name=request.POST.get("name", ""),
            kind=request.POST.get("art", ""),
            strasse=request.POST.get("strasse", ""),
            plz=request.POST.get("plz", ""),
            ort=request.POST.get("ort", ""),
            request=request,
        )
    except owners.OwnerRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Der Eigentümer ist zugeordnet.")
    return redirect("properties:detail", pk=prop.pk)


@require_POST
def complaint_add(request, pk: int):
    prop = _scoped_property(request, pk)
    if not owners.may_edit(request.user):
        raise Http404
    try:
        owners.add_complaint(
            request.user,
            prop,
            received_on=request.POST.get("eingang", ""),
            source=request.POST.get("quelle", ""),
            subject=request.POST.get("gegenstand", ""),
            request=request,
        )
    except owners.OwnerRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Die Beschwerde ist erfasst.")
    return redirect("properties:detail", pk=prop.pk)


@require_GET
def owner_detail(request, pk: int):
    if not owners.may_see_owners(request.user):
        raise Http404
    owner = get_object_or_404(owners.owners_for(request.user), pk=pk)
    props = (
        services.properties_for(request.user)
        .filter(owner=owner)
        .prefetch_related("measures", "complaints")
        .order_by("sort_address")
    )
    record(
        request.user,
        AuditAction.READ,
        object_type="owner",
        object_id=owner.pk,
        purpose="Einsicht in die Objekte eines Eigentümers",
        details={"properties": [p.objekt_id for p in props]},
        request=request,
    )
    return render(request, "properties/owner.html", {"owner": owner, "props": props})


@require_POST
def measure_decide(request, pk: int, measure_pk: int):
    prop = _scoped_property(request, pk)
    if not policy.can(request.user, Capability.RECORD_STEERING_DECISIONS):
        raise Http404
    measure = get_object_or_404(prop.measures.all(), pk=measure_pk)
    try:
        owners.record_steering_decision(
            request.user,
            measure,
            decision=request.POST.get("beschluss", ""),
            day=request.POST.get("sitzung", ""),
            request=request,
        )
    except owners.OwnerRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Der Beschluss des Lenkungskreises ist erfasst.")
    return redirect("properties:detail", pk=prop.pk)
