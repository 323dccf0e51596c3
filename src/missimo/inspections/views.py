from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from missimo.accounts import policy
from missimo.accounts.policy import Capability, Field
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.casework.services import campaigns_for, cases_for
from missimo.core import lists, tables
from missimo.inspections import services
from missimo.inspections.forms import CampaignChoiceForm, CompleteForm, PhotoForm, PlanForm, ReplanForm
from missimo.inspections.models import (
    ChildrenPresent,
    Defect,
    HelpNeed,
    Household,
    InspectionStatus,
    Photo,
    Presence,
    Visit,
)


def _require_use(user) -> None:
    if not services.may_use(user):
        raise Http404


def _scoped_visit(request, pk: int) -> Visit:
    _require_use(request.user)
    return get_object_or_404(services.visits_for(request.user), pk=pk)


UPCOMING_SINCE = dt.timedelta(hours=12)

INSPECTION_COLUMNS = [
    lists.Column("termin", "Termin", ("scheduled_at",)),
    lists.Column("treffpunkt", "Treffpunkt", ("meeting_point",)),
    lists.Column("aktionszeitraum", "Aktionszeitraum", ("campaign__name",)),
    lists.Column("objekte", "Objekte", ("visit_count",), numeric=True),
    lists.Column("status", "Status", ("status",)),
]

SECTIONS = [("anstehend", "anstehende Kontrollen"), ("vergangen", "vergangene Kontrollen")]


def _section(queryset, value: str):
    since = timezone.now() - UPCOMING_SINCE
    if value == "anstehend":
        return queryset.filter(scheduled_at__gte=since)
    return queryset.filter(scheduled_at__lt=since)


def _search(queryset, value: str):
    """Every word in the meeting point or in an address of the inspection's properties."""
    for token in value.replace(",", " ").split():
        queryset = queryset.filter(
            Q(meeting_point__icontains=token)
            | Q(visits__case__property__strasse__icontains=token)
            | Q(visits__case__property__plz=token)
        )
    return queryset.distinct()


def inspection_filters(inspections) -> list[lists.ListFilter]:
    campaigns = sorted({(str(i.campaign_id), i.campaign.name) for i in inspections}, key=lambda c: c[1])
    agencies = sorted(
        {(str(a.pk), str(a)) for i in inspections for a in i.agencies.all()}, key=lambda a: a[1]
    )
    return [
        lists.ChoiceFilter("zeitraum", "Zeitraum", _section, choices=SECTIONS, empty_label="alle Kontrollen"),
        lists.ChoiceFilter(
            "status",
            "Status",
            lambda qs, v: qs.filter(status=v),
            choices=list(InspectionStatus.choices),
        ),
        lists.ChoiceFilter(
            "aktionszeitraum",
            "Aktionszeitraum",
            lambda qs, v: qs.filter(campaign_id=int(v)),
            choices=campaigns,
        ),
        lists.ChoiceFilter(
            "behoerde",
            "Beteiligte Behörde",
            lambda qs, v: qs.filter(agencies=int(v)).distinct(),
            choices=agencies,
        ),
        lists.TextFilter(
            "suche",
            "Treffpunkt oder Adresse",
            _search,
            hint="z. B. Straße oder PLZ eines Objekts",
        ),
        lists.DateFilter("von", "Termin von", lambda qs, v: qs.filter(scheduled_at__date__gte=v)),
        lists.DateFilter("bis", "Termin bis", lambda qs, v: qs.filter(scheduled_at__date__lte=v)),
    ]


def _inspection_listing(request) -> lists.Listing:
    """The inspections of the Kontrollen page (all pages): the user's scope, filtered and sorted
    as the query string asks (by default the latest date first)."""
    _require_use(request.user)
    scoped = services.inspections_for(request.user).prefetch_related("agencies")
    queryset = services.inspections_for(request.user).annotate(visit_count=Count("visits", distinct=True))
    listing = lists.Listing(
        request,
        queryset.select_related("campaign").prefetch_related("agencies"),
        columns=INSPECTION_COLUMNS,
        default_sort="-termin",
        filters=inspection_filters(list(scoped)),
    )
    return listing


INSPECTION_HEADER = ["Abschnitt", "Termin", "Treffpunkt", "Aktionszeitraum", "Objekte", "Status"]


def inspection_table(inspections) -> tuple[list[str], list[list]]:
    """The Kontrollen list as a table; the first column says whether it is upcoming or past."""
    since = timezone.now() - UPCOMING_SINCE
    rows = [
        [
            "Anstehende Kontrollen" if inspection.scheduled_at >= since else "Vergangene Kontrollen",
            inspection.scheduled_at,
            inspection.meeting_point,
            inspection.campaign.name,
            inspection.visit_count,
            inspection.get_status_display(),
        ]
        for inspection in inspections
    ]
    return INSPECTION_HEADER, rows


@require_GET
def inspection_list(request):
    listing = _inspection_listing(request)
    since = timezone.now() - UPCOMING_SINCE
    return render(
        request,
        "inspections/list.html",
        {
            "listing": listing,
            "page": listing.page,
            "since": since,
            "may_plan": policy.can(request.user, Capability.PLAN_INSPECTIONS),
            "calendar_url": request.build_absolute_uri(
                reverse("inspections:calendar_feed", args=[services.calendar_token(request.user)])
            ),
        },
    )


def _calendar_response(user, disposition: str) -> HttpResponse:
    body = services.inspections_ics(user, getattr(settings, "BASE_URL", ""))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'{disposition}; filename="missimo-kontrollen.ics"'
    return response


@require_GET
def calendar_ics(request):
    """The planned inspections the user takes part in, as an ICS file to download."""
    _require_use(request.user)
    return _calendar_response(request.user, "attachment")


@login_not_required
@require_GET
def calendar_feed(request, token: str):
    """The same calendar for a team calendar's subscription: the signed token in the URL stands for
    the user (void after a password change or deactivation); no session, date, time and link only."""
    user = services.user_of_calendar_token(token)
    if user is None:
        raise Http404
    return _calendar_response(user, "inline")


@require_GET
def inspection_export(request, fmt: str):
    """The inspections of the filter (every page, same order) as CSV or XLSX."""
    tables.require_format(fmt)
    header, rows = inspection_table(_inspection_listing(request).queryset)
    return tables.export(header, rows, fmt, "kontrollen", "Kontrollen")


@require_http_methods(["GET", "POST"])
def plan(request):
    if not policy.can(request.user, Capability.PLAN_INSPECTIONS):
        raise Http404
    campaigns = campaigns_for(request.user)
    chooser = CampaignChoiceForm(request.GET or None)
    chooser.fields["campaign"].queryset = campaigns
    campaign = None
    if chooser.is_bound and chooser.is_valid():
        campaign = chooser.cleaned_data["campaign"]
    if campaign is None:
        return render(request, "inspections/plan_choose.html", {"chooser": chooser})
    form = PlanForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            inspection = services.plan_inspection(
                request.user,
                _plan_from(campaign, form.cleaned_data),
                list(form.cleaned_data["cases"]),
                request=request,
            )
        except services.Refused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, "Die Kontrolle wurde geplant.")
            return redirect("inspections:detail", pk=inspection.pk)
    return render(request, "inspections/plan.html", {"form": form, "campaign": campaign})


def _plan_from(campaign, data) -> services.Plan:
    return services.Plan(
        campaign=campaign,
        scheduled_at=timezone.make_aware(dt.datetime.combine(data["date"], data["time"])),
        meeting_point=data["meeting_point"],
        agencies=list(data["agencies"]),
        members=list(data["members"]),
        members_text=data["members_text"],
        interpreter_needed=data["interpreter_needed"],
        interpreter_language=data["interpreter_language"].strip(),
        notes=data["notes"],
        past_confirmed=bool(data.get("past_confirmed")),
    )


@require_http_methods(["GET", "POST"])
def replan(request, pk: int):
    """Change a planned inspection: new date or time, meeting point, team, interpreting."""
    if not policy.can(request.user, Capability.PLAN_INSPECTIONS):
        raise Http404
    inspection = get_object_or_404(services.inspections_for(request.user), pk=pk)
    if inspection.status != "geplant":
        messages.error(request, "Nur eine geplante Kontrolle kann geändert werden.")
        return redirect("inspections:detail", pk=inspection.pk)
    form = ReplanForm.for_inspection(inspection, request.POST or None)
    status, stale_message, current = 200, "", None
    if request.method == "POST" and form.is_valid():
        try:
            services.replan_inspection(
                request.user,
                inspection,
                _plan_from(inspection.campaign, form.cleaned_data),
                form.cleaned_data["version"],
                request=request,
            )
        except services.StalePlan as stale:
            # Keep the user's input; show the newer plan beside it; saving again replaces it knowingly.
            inspection.refresh_from_db()
            posted = request.POST.copy()
            posted["version"] = str(inspection.version)
            form = ReplanForm.for_inspection(inspection, posted)
            form.is_valid()
            status, stale_message, current = 409, stale.message, services.plan_shown(inspection)
        except services.Refused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, "Die Änderungen der Kontrolle sind gespeichert.")
            return redirect("inspections:detail", pk=inspection.pk)
    return render(
        request,
        "inspections/replan.html",
        {"form": form, "inspection": inspection, "stale_message": stale_message, "current": current},
        status=status,
    )


def _household_rows(visit: Visit, names: bool) -> list[dict]:
    rows = []
    for household in visit.households.prefetch_related("persons"):
        persons = list(household.persons.all())
        rows.append({"household": household, "persons": persons, "names": names})
    return rows


@require_GET
def inspection_detail(request, pk: int):
    _require_use(request.user)
    inspection = get_object_or_404(services.inspections_for(request.user), pk=pk)
    visits = list(inspection.visits.select_related("case", "case__property"))
    names = policy.sees_field(request.user, Field.EXPECTED_PERSONS)
    for visit in visits:
        visit.rows = _household_rows(visit, names)
        visit.expected = sum(len(row["persons"]) for row in visit.rows)
        if visit.expected:
            services.record_person_read(
                request.user,
                visit,
                purpose="Vorbereitung einer Kontrolle (erwartete Personen)",
                request=request,
            )
    visible_cases = set(
        cases_for(request.user).filter(pk__in=[v.case_id for v in visits]).values_list("pk", flat=True)
    )
    return render(
        request,
        "inspections/detail.html",
        {
            "inspection": inspection,
            "visits": visits,
            "visible_cases": visible_cases,
            "names": names,
            # the benefit behind a person ("kindergeldberechtigte Person") only for roles that see
            # hints; the police identify persons by name only (issue #21)
            "roles": policy.can(request.user, Capability.SEE_HINTS),
            "may_plan": policy.can(request.user, Capability.PLAN_INSPECTIONS),
        },
    )


@require_POST
def cancel(request, pk: int):
    if not policy.can(request.user, Capability.PLAN_INSPECTIONS):
        raise Http404
    inspection = get_object_or_404(services.inspections_for(request.user), pk=pk)
    try:
        services.cancel_inspection(request.user, inspection, request.POST.get("reason", ""), request=request)
    except services.Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Die Kontrolle wurde abgesagt.")
    return redirect("inspections:detail", pk=inspection.pk)


@require_GET
def protocol(request, pk: int):
    return _protocol_page(request, _scoped_visit(request, pk))


def _protocol_page(request, visit: Visit, *, conflict=None, status: int = 200):
    names = policy.sees_field(request.user, Field.EXPECTED_PERSONS)
    rows = _household_rows(visit, names)
    if conflict is not None:
        # Show the user's own input again over the current version: saving again replaces it knowingly.
        household_id, version, mine = conflict
        for row in rows:
            if row["household"].pk == household_id:
                row["household"].version = version
                row["conflict"] = True
                for field, value in mine.items():
                    if field.startswith("person:"):
                        for person in row["persons"]:
                            if f"person:{person.pk}" == field:
                                person.presence = value
                    else:
                        setattr(row["household"], field, value)
    if any(row["persons"] for row in rows):
        services.record_person_read(
            request.user,
            visit,
            purpose="Protokoll einer Kontrolle vor Ort (erwartete Personen)",
            request=request,
        )
    return render(
        request,
        "inspections/protocol.html",
        {
            "visit": visit,
            "inspection": visit.inspection,
            "rows": rows,
            "names": names,
            # the benefit behind a person ("kindergeldberechtigte Person") only for roles that see
            # hints; the police identify persons by name only (issue #21)
            "roles": policy.can(request.user, Capability.SEE_HINTS),
            "editable": services.may_edit_protocol(request.user, visit),
            "may_complete": policy.can(request.user, Capability.PLAN_INSPECTIONS),
            "children_choices": ChildrenPresent.choices,
            "defect_choices": Defect.choices,
            "help_need_choices": HelpNeed.choices,
            "presence_choices": Presence.choices,
            "photos": visit.photos.all(),
            "photo_form": PhotoForm(),
        },
        status=status,
    )


def _save_form(request, visit: Visit):
    """The household form sent without JavaScript: every field at once, same locking."""
    try:
        household_id = int(request.POST.get("household", ""))
        version = int(request.POST.get("version", ""))
    except ValueError:
        raise Http404 from None
    try:
        services.save_household(request.user, visit, household_id, request.POST, version, request=request)
    except services.Conflict as conflict:
        household = get_object_or_404(Household.objects.filter(visit=visit), pk=household_id)
        mine = services.clean_household_values(household, request.POST)
        messages.error(request, conflict.message)
        return _protocol_page(
            request, visit, conflict=(household_id, conflict.current["version"], mine), status=409
        )
    except services.Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Die Angaben zur Wohnung wurden gespeichert.")
    return redirect("inspections:protocol", pk=visit.pk)


@require_POST
def save(request, pk: int):
    """Autosave of one field (JSON): {change_id, household, field, value, version}; a form sent
    without JavaScript saves the whole household."""
    visit = _scoped_visit(request, pk)
    if request.content_type != "application/json":
        return _save_form(request, visit)
    try:
        payload = json.loads(request.body or b"{}")
        household_id = int(payload["household"])
        version = int(payload["version"])
        field = str(payload["field"])
        change_id = str(payload["change_id"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "Die Anfrage ist unvollständig."}, status=400)
    try:
        saved = services.save_field(
            request.user,
            visit,
            household_id,
            field,
            payload.get("value"),
            version,
            change_id,
            request=request,
        )
    except services.Conflict as conflict:
        return JsonResponse({"error": conflict.message, "current": conflict.current}, status=409)
    except services.Refused as refused:
        status = 409 if visit.is_completed else 400
        return JsonResponse({"error": refused.message}, status=status)
    return JsonResponse({"version": saved.version, "repeated": saved.repeated})


@require_GET
def household_state(request, pk: int, household_pk: int):
    visit = _scoped_visit(request, pk)
    household = get_object_or_404(Household.objects.filter(visit=visit), pk=household_pk)
    record(
        request.user,
        AuditAction.READ,
        object_type="inspection_household",
        object_id=household.pk,
        purpose="Stand einer Wohnung im Protokoll einer Kontrolle",
        details={"visit": visit.pk, "version": household.version},
        request=request,
    )
    return JsonResponse(services.household_state(household))


@require_POST
def add_household(request, pk: int):
    visit = _scoped_visit(request, pk)
    try:
        services.add_household(request.user, visit, request.POST.get("location", ""), request=request)
    except services.Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Eine weitere Wohnung wurde ergänzt.")
    return redirect("inspections:protocol", pk=visit.pk)


@require_POST
def upload_photo(request, pk: int):
    visit = _scoped_visit(request, pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        household = None
        if request.POST.get("household"):
            household = visit.households.filter(pk=request.POST["household"]).first()
        try:
            services.store_photo(
                request.user,
                visit,
                form.cleaned_data["photo"],
                form.cleaned_data["caption"],
                household,
                request=request,
            )
        except services.Refused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, "Das Foto wurde gespeichert.")
    else:
        messages.error(request, "Bitte wählen Sie ein Foto aus.")
    return redirect("inspections:protocol", pk=visit.pk)


@require_GET
def photo(request, pk: int):
    _require_use(request.user)
    item = get_object_or_404(Photo.objects.filter(visit__in=services.visits_for(request.user)), pk=pk)
    try:
        path = services.photo_file(item)
    except ValueError:
        raise Http404 from None
    if not path.is_file():
        raise Http404
    record(
        request.user,
        AuditAction.READ,
        object_type="inspection_photo",
        object_id=item.pk,
        purpose="Einsicht in ein Foto einer Kontrolle",
        details={"visit": item.visit_id},
        request=request,
    )
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        content_type=item.content_type,
    )
    response["Content-Disposition"] = f'inline; filename="foto-{item.pk}{path.suffix}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def complete(request, pk: int):
    visit = _scoped_visit(request, pk)
    if not policy.can(request.user, Capability.PLAN_INSPECTIONS):
        raise Http404
    if visit.is_completed:
        messages.info(request, "Dieses Protokoll ist bereits abgeschlossen.")
        return redirect("inspections:protocol", pk=visit.pk)
    hints = visit.case.hints.order_by("rule", "primary_ref")
    form = CompleteForm(request.POST or None, hints=hints)
    if request.method == "POST" and form.is_valid():
        try:
            services.complete_visit(
                request.user, visit, form.findings(), form.cleaned_data["reason"], request=request
            )
        except services.Refused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request, "Das Protokoll wurde abgeschlossen; der Prüffall steht jetzt auf „kontrolliert“."
            )
            return redirect("inspections:detail", pk=visit.inspection_id)
    households = visit.households.prefetch_related("persons")
    services.record_person_read(
        request.user, visit, purpose="Abschluss des Protokolls einer Kontrolle", request=request
    )
    return render(
        request, "inspections/complete.html", {"visit": visit, "form": form, "households": households}
    )
