from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core import lists, tables
from missimo.outcomes import letters as letter_work
from missimo.outcomes import listing, placeholders, services
from missimo.outcomes.forms import (
    LetterDraftForm,
    LetterEditForm,
    MeasureForm,
    OutcomeForm,
    RejectForm,
    TemplateForm,
    VersionForm,
    WithdrawForm,
)
from missimo.outcomes.models import Letter, LetterStatus, LetterTemplate, Outcome
from missimo.runs.models import Hint
from missimo.runs.services import shown_to

PAGE_SIZE = 50


def _refused(request, message: str, back: str, status: int = 403):
    return render(request, "outcomes/refused.html", {"message": message, "back": back}, status=status)


def _conflict(request, back: str):
    return _refused(request, services.Conflict.message, back, status=409)


# --- the per-agency list ----------------------------------------------------------------------


def _require_recording(user) -> None:
    if not services.may_record(user):
        raise Http404


def _outcome_listing(request, query) -> lists.Listing:
    return lists.Listing(
        request,
        listing.listed_hints(request.user, query),
        columns=listing.LIST_COLUMNS,
        default_sort="adresse",
        carry=query.as_params(),
    )


@require_GET
def outcome_list(request):
    _require_recording(request.user)
    query = listing.ListQuery.from_params(request.GET)
    rows_listing = _outcome_listing(request, query)
    page = rows_listing.page
    keys = [key for key, _ in listing.COLUMNS]
    measures = listing.own_measures_by_hint_id(request.user)
    page.object_list = shown_to(request.user, page.object_list)
    rows = [(hint, list(zip(keys, listing.row_of(hint, measures), strict=True))) for hint in page.object_list]
    if rows:
        record(
            request.user,
            AuditAction.READ,
            object_type="outcome_list",
            purpose="Sichtung der Ergebnisliste der eigenen Behörde",
            details={
                "filters": query.as_params(),
                "sort": rows_listing.sort,
                "page": page.number,
                "hints": [h.hint_id for h, _ in rows],
            },
            request=request,
        )
    runs = list(listing.runs_for_list()[:20])
    return render(
        request,
        "outcomes/list.html",
        {
            "page": page,
            "listing": rows_listing,
            "rows": rows,
            "columns": listing.COLUMNS,
            "money_columns": listing.MONEY_COLUMNS,
            "query": query,
            "querystring": rows_listing.querystring,
            "statuses": listing.STATUS_FILTERS,
            "rules": sorted(services.RULE_TITLES.items(), key=lambda item: item[1]),
            "runs": runs,
            "current_run": query.run or (runs[0].pk if runs else None),
        },
    )


@require_GET
def export_csv(request):
    _require_recording(request.user)
    query = listing.ListQuery.from_params(request.GET)
    hints = _outcome_listing(request, query).queryset
    content = listing.export(request.user, query, "csv", request=request, hints=hints)
    return tables.download(content, "ergebnisse", "csv")


@require_GET
def export_xlsx(request):
    _require_recording(request.user)
    query = listing.ListQuery.from_params(request.GET)
    hints = _outcome_listing(request, query).queryset
    content = listing.export(request.user, query, "xlsx", request=request, hints=hints)
    return tables.download(content, "ergebnisse", "xlsx")


# --- one hint: outcome and measures -----------------------------------------------------------


def _scoped_hint(request, pk: int) -> Hint:
    _require_recording(request.user)
    return get_object_or_404(services.recordable_hints(request.user).select_related("run"), pk=pk)


def _hint_context(request, hint: Hint, *, outcome_form=None, measure_form=None, case=None) -> dict:
    user = request.user
    outcome = services.own_outcome(user, hint)
    others = (
        Outcome.objects.filter(hint__hint_id=hint.hint_id)
        .exclude(agency=user.agency_id)
        .select_related("agency")
        if services.sees_all_agencies(user)
        else Outcome.objects.none()
    )
    measures = services.measures_for(user).filter(hint__hint_id=hint.hint_id).select_related("agency", "hint")
    if not services.sees_all_agencies(user):
        measures = measures.filter(agency=user.agency_id)
    return {
        "hint": shown_to(user, [hint])[0],
        "rule_title": services.RULE_TITLES.get(hint.rule, hint.rule),
        "outcome": outcome,
        "revisions": outcome.revisions.all() if outcome is not None else [],
        "others": others,
        "measures": measures,
        "case": case,
        "outcome_form": outcome_form or OutcomeForm(outcome=outcome),
        "measure_form": measure_form or MeasureForm(hint=hint, agency_kind=_agency_kind(request.user)),
        "withdraw_form": WithdrawForm(),
        "agency": user.agency,
        "sees_all_agencies": services.sees_all_agencies(user),
    }


def _record_hint_read(request, hint: Hint) -> None:
    record(
        request.user,
        AuditAction.READ,
        object_type="hint",
        object_id=hint.hint_id,
        purpose="Einsicht in einen Hinweis zur Erfassung von Ergebnis und Maßnahmen",
        details={"run": hint.run_id, "rule": hint.rule},
        request=request,
    )


def _hint_url(hint: Hint, case) -> str:
    url = reverse("outcomes:hint", args=[hint.pk])
    return f"{url}?fall={case.pk}" if case is not None else url


@require_http_methods(["GET", "POST"])
def hint_outcome(request, pk: int):
    hint = _scoped_hint(request, pk)
    case = services.case_of(request.user, hint, request.GET.get("fall") or request.POST.get("fall"))
    status = 200
    form = None
    if request.method == "POST":
        form = OutcomeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_outcome(
                    request.user,
                    hint,
                    result=data["result"],
                    decided_on=data["decided_on"],
                    note=data["note"],
                    case=case,
                    version=data["version"],
                    request=request,
                )
            except services.Conflict as clash:
                messages.error(request, clash.message)
                status = 409
                current = services.own_outcome(request.user, hint)
                fresh = request.POST.copy()
                fresh["version"] = str(current.version if current else 0)
                form = OutcomeForm(fresh)
                form.is_valid()
            except services.Refused as refusal:
                return _refused(request, refusal.message, _hint_url(hint, case))
            else:
                messages.success(request, "Das Ergebnis wurde gespeichert.")
                return redirect(_hint_url(hint, case))
        else:
            status = 400
    else:
        _record_hint_read(request, hint)
    context = _hint_context(request, hint, outcome_form=form, case=case)
    context["conflict"] = status == 409
    return render(request, "outcomes/hint.html", context, status=status)


@require_POST
def case_outcome(request, pk: int):
    """Record or correct the agency's outcome on a case as a whole (from the case page's panel)."""
    _require_recording(request.user)
    case = get_object_or_404(services.visible_cases(request.user), pk=pk)
    back = reverse("casework:case_detail", args=[case.pk]) + "#ergebnis-fall"
    form = OutcomeForm(request.POST, prefix="fall")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    try:
        services.record_case_outcome(
            request.user,
            case,
            result=data["result"],
            decided_on=data["decided_on"],
            note=data["note"],
            version=data["version"],
            request=request,
        )
    except services.Conflict:
        return _conflict(request, back)
    except services.Refused as refusal:
        return _refused(request, refusal.message, back)
    messages.success(request, "Das Ergebnis zum Prüffall wurde gespeichert.")
    return redirect(back)


@require_POST
def measure_add(request, pk: int):
    hint = _scoped_hint(request, pk)
    case = services.case_of(request.user, hint, request.POST.get("fall"))
    form = MeasureForm(request.POST, hint=hint, agency_kind=_agency_kind(request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_measure(
                request.user,
                hint,
                kind=data["kind"],
                taken_on=data["taken_on"],
                monthly_amount=data["monthly_amount"],
                reclaimed_amount=data["reclaimed_amount"],
                note=data["note"],
                case=case,
                follow_up_date=data.get("follow_up_date"),
                request=request,
            )
        except services.Refused as refusal:
            return _refused(request, refusal.message, _hint_url(hint, case))
        messages.success(request, "Die Maßnahme wurde erfasst.")
        return redirect(_hint_url(hint, case) + "#massnahmen")
    return render(
        request, "outcomes/hint.html", _hint_context(request, hint, measure_form=form, case=case), status=400
    )


@require_POST
def measure_withdraw(request, pk: int):
    _require_recording(request.user)
    measure = get_object_or_404(
        services.measures_for(request.user).filter(agency=request.user.agency_id).select_related("hint"),
        pk=pk,
    )
    back = reverse("outcomes:hint", args=[measure.hint_id])
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _refused(request, "Bitte geben Sie den Grund der Rücknahme an.", back, status=400)
    try:
        services.withdraw_measure(
            request.user, measure, form.cleaned_data["reason"], form.cleaned_data["version"], request=request
        )
    except services.Conflict:
        return _conflict(request, back)
    except services.Refused as refusal:
        return _refused(request, refusal.message, back)
    messages.success(request, "Die Maßnahme wurde zurückgenommen.")
    return redirect(back + "#massnahmen")


# --- letters ----------------------------------------------------------------------------------


def _require_letters(user) -> None:
    if not letter_work.may_see_letters(user):
        raise Http404


def _require_writer(user) -> None:
    if not letter_work.may_write_letters(user):
        raise Http404


LETTER_COLUMNS = [
    lists.Column("betreff", "Betreff", ("subject",)),
    lists.Column("prueffall", "Prüffall", ("case__aktenzeichen",)),
    lists.Column("empfaengerin", "Empfängerin", ("recipient__name",)),
    lists.Column("status", "Status", ("status",)),
    lists.Column("verfasser", "verfasst von", ()),
    lists.Column("angelegt", "angelegt", ("created_at",)),
]


def _letter_filters(letters) -> list[lists.ListFilter]:
    recipients = sorted(
        {
            (str(pk), name)
            for pk, name in letters.values_list("recipient_id", "recipient__name")
            if pk is not None
        },
        key=lambda r: r[1],
    )
    return [
        lists.ChoiceFilter(
            "status", "Status", lambda qs, v: qs.filter(status=v), choices=list(LetterStatus.choices)
        ),
        lists.ChoiceFilter(
            "empfaengerin", "Empfängerin", lambda qs, v: qs.filter(recipient_id=int(v)), choices=recipients
        ),
        lists.TextFilter(
            "suche",
            "Betreff oder Aktenzeichen",
            lists.token_search("subject__icontains", "case__aktenzeichen__icontains"),
        ),
        lists.DateFilter("von", "angelegt von", lambda qs, v: qs.filter(created_at__date__gte=v)),
        lists.DateFilter("bis", "angelegt bis", lambda qs, v: qs.filter(created_at__date__lte=v)),
    ]


def _letter_listing(request) -> lists.Listing:
    """The letters of the Schreiben page (all pages): the user's scope, filtered and sorted."""
    _require_letters(request.user)
    letters = letter_work.letters_for(request.user)
    return lists.Listing(
        request,
        letters.select_related("case", "recipient", "owner", "author", "approved_by"),
        columns=LETTER_COLUMNS,
        default_sort="-angelegt",
        filters=_letter_filters(letters),
    )


LETTER_HEADER = ["Betreff", "Prüffall", "Empfängerin", "Status", "verfasst von", "angelegt"]


def letter_table(letters) -> tuple[list[str], list[list]]:
    rows = [
        [
            letter.subject,
            letter.case.aktenzeichen,
            letter.recipient_name,
            letter.get_status_display(),
            letter.author.display_name if letter.author else "",
            timezone.localtime(letter.created_at).date(),
        ]
        for letter in letters
    ]
    return LETTER_HEADER, rows


@require_GET
def letter_list(request):
    listing = _letter_listing(request)
    letters = list(listing.page.object_list)
    if letters:
        record(
            request.user,
            AuditAction.READ,
            object_type="letter_list",
            purpose="Übersicht der Schreiben",
            details={**listing.audit_details(), "letters": [letter.pk for letter in letters]},
            request=request,
        )
    return render(
        request,
        "outcomes/letters.html",
        {
            "letters": letters,
            "listing": listing,
            "page": listing.page,
            "may_write": letter_work.may_write_letters(request.user),
        },
    )


@require_GET
def letter_export(request, fmt: str):
    """The Schreiben list (same filter and order, every page) as CSV or XLSX; audited like reading it."""
    tables.require_format(fmt)
    listing = _letter_listing(request)
    letters = list(listing.queryset)
    header, rows = letter_table(letters)
    record(
        request.user,
        AuditAction.EXPORT,
        object_type="letter_list",
        purpose="Export der Übersicht der Schreiben",
        details={
            "format": fmt,
            "filters": listing.audit_details()["filters"],
            "letters": [letter.pk for letter in letters],
        },
        request=request,
    )
    return tables.export(header, rows, fmt, "schreiben", "Schreiben")


def _scoped_letter(request, pk: int) -> Letter:
    _require_letters(request.user)
    return get_object_or_404(
        letter_work.letters_for(request.user).select_related(
            "case", "case__property", "recipient", "owner", "author"
        ),
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
def letter_new(request, case_pk: int):
    _require_writer(request.user)
    case = get_object_or_404(services.visible_cases(request.user), pk=case_pk)
    owner = letter_work.owner_of_case(request.user, case)
    form = LetterDraftForm(request.POST or None, owner=owner)
    if request.method == "POST" and form.is_valid():
        try:
            letter = letter_work.draft_letter(
                request.user,
                case,
                owner if form.cleaned_data.get("to_owner") else form.cleaned_data["recipient"],
                form.cleaned_data["template"],
                request=request,
            )
        except services.Refused as refusal:
            return _refused(request, refusal.message, reverse("outcomes:letters"))
        messages.success(request, "Der Entwurf wurde angelegt. Prüfen und ergänzen Sie den Text.")
        return redirect("outcomes:letter_edit", pk=letter.pk)
    return render(
        request,
        "outcomes/letter_new.html",
        {"case": case, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def letter_detail(request, pk: int):
    letter = _scoped_letter(request, pk)
    user = request.user
    record(
        user,
        AuditAction.READ,
        object_type="letter",
        object_id=letter.pk,
        purpose="Einsicht in ein Schreiben",
        details={"case": letter.case.aktenzeichen, "status": letter.status},
        request=request,
    )
    writer = letter_work.may_write_letters(user)
    is_author = letter.author_id == user.pk
    return render(
        request,
        "outcomes/letter.html",
        {
            "letter": letter,
            "body_html": placeholders.fill_html(letter.body, {}),
            "events": letter.events.all() if writer else [],
            "may_edit": writer
            and is_author
            and letter.status in (LetterStatus.ENTWURF, LetterStatus.ZURUECKGEWIESEN),
            "may_submit": writer and is_author and letter.status == LetterStatus.ENTWURF,
            "may_decide": writer and not is_author and letter.status == LetterStatus.ZUR_FREIGABE,
            "own_pending": writer and is_author and letter.status == LetterStatus.ZUR_FREIGABE,
            "may_send": writer and letter.status == LetterStatus.FREIGEGEBEN,
            "reject_form": RejectForm(initial={"version": letter.version}),
            "writer": writer,
        },
    )


@require_http_methods(["GET", "POST"])
def letter_edit(request, pk: int):
    _require_writer(request.user)
    letter = _scoped_letter(request, pk)
    back = reverse("outcomes:letter", args=[letter.pk])
    if letter.author_id != request.user.pk or letter.status not in (
        LetterStatus.ENTWURF,
        LetterStatus.ZURUECKGEWIESEN,
    ):
        return _refused(request, "Nur die Verfasserin oder der Verfasser ändert einen Entwurf.", back)
    status = 200
    if request.method == "POST":
        form = LetterEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                letter_work.update_letter(
                    request.user,
                    letter,
                    subject=data["subject"],
                    body=data["body"],
                    version=data["version"],
                    reply_due=data.get("reply_due"),
                    request=request,
                )
            except services.Conflict as clash:
                messages.error(request, clash.message)
                status = 409
                letter.refresh_from_db()
                fresh = request.POST.copy()
                fresh["version"] = str(letter.version)
                form = LetterEditForm(fresh)
                form.is_valid()
            except services.Refused as refusal:
                return _refused(request, refusal.message, back)
            else:
                messages.success(request, "Das Schreiben wurde gespeichert.")
                return redirect(back)
        else:
            status = 400
    else:
        form = LetterEditForm(
            initial={
                "subject": letter.subject,
                "body": letter.body,
                "reply_due": letter.reply_due,
                "version": letter.version,
            }
        )
    return render(
        request,
        "outcomes/letter_edit.html",
        {"letter": letter, "form": form, "conflict": status == 409},
        status=status,
    )


def _letter_step(request, pk: int, step, success: str, form_class=VersionForm):
    _require_writer(request.user)
    letter = _scoped_letter(request, pk)
    back = reverse("outcomes:letter", args=[letter.pk])
    form = form_class(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0] if form.errors else "Ungültige Eingabe."
        return _refused(request, first, back, status=400)
    try:
        step(letter, form.cleaned_data)
    except services.Conflict:
        return _conflict(request, back)
    except services.Refused as refusal:
        return _refused(request, refusal.message, back)
    messages.success(request, success)
    return redirect(back)


@require_POST
def letter_submit(request, pk: int):
    return _letter_step(
        request,
        pk,
        lambda letter, data: letter_work.submit_letter(
            request.user, letter, version=data["version"], request=request
        ),
        "Das Schreiben liegt jetzt zur Freigabe vor. Eine zweite Person der Koordinierungsstelle gibt es frei.",
    )


@require_POST
def letter_approve(request, pk: int):
    return _letter_step(
        request,
        pk,
        lambda letter, data: letter_work.approve_letter(
            request.user, letter, version=data["version"], request=request
        ),
        "Das Schreiben ist freigegeben. Das PDF steht zum Herunterladen bereit.",
    )


@require_POST
def letter_reject(request, pk: int):
    return _letter_step(
        request,
        pk,
        lambda letter, data: letter_work.reject_letter(
            request.user, letter, reason=data["reason"], version=data["version"], request=request
        ),
        "Das Schreiben wurde zurückgewiesen.",
        form_class=RejectForm,
    )


@require_POST
def letter_sent(request, pk: int):
    return _letter_step(
        request,
        pk,
        lambda letter, data: letter_work.mark_sent(
            request.user, letter, version=data["version"], request=request
        ),
        "Der Versand wurde vermerkt.",
    )


@require_GET
def letter_pdf(request, pk: int):
    letter = _scoped_letter(request, pk)
    try:
        content = letter_work.letter_pdf(request.user, letter, request=request)
    except services.Refused as refusal:
        return _refused(request, refusal.message, reverse("outcomes:letter", args=[letter.pk]))
    response = HttpResponse(content, content_type="application/pdf")
    name = letter.case.aktenzeichen.replace("/", "-").replace('"', "")
    response["Content-Disposition"] = f'attachment; filename="schreiben-{name}-{letter.pk}.pdf"'
    return response


# --- templates --------------------------------------------------------------------------------


@require_GET
def template_list(request):
    if not letter_work.may_write_letters(request.user):
        raise Http404
    return render(
        request,
        "outcomes/templates.html",
        {"templates": LetterTemplate.objects.all(), "placeholders": placeholders.PLACEHOLDERS},
    )


@require_http_methods(["GET", "POST"])
def template_edit(request, pk: int | None = None):
    if not letter_work.may_write_letters(request.user):
        raise Http404
    template = get_object_or_404(LetterTemplate, pk=pk) if pk is not None else None
    status = 200
    if request.method == "POST":
        form = TemplateForm(request.POST, template=template)
        if form.is_valid():
            try:
                saved = letter_work.save_template(
                    request.user,
                    template,
                    form.cleaned_data,
                    version=form.cleaned_data["version"],
                    request=request,
                )
            except services.Conflict as clash:
                messages.error(request, clash.message)
                status = 409
                template.refresh_from_db()
                fresh = request.POST.copy()
                fresh["version"] = str(template.version)
                form = TemplateForm(fresh, template=template)
                form.is_valid()
            else:
                unknown = placeholders.unknown_placeholders(saved.subject + " " + saved.body)
                if unknown:
                    messages.warning(
                        request,
                        "Die Vorlage wurde gespeichert. Diese Platzhalter kennt MISSIMO nicht; sie bleiben im "
                        "Text stehen: " + ", ".join("{" + key + "}" for key in unknown),
                    )
                else:
                    messages.success(request, "Die Vorlage wurde gespeichert.")
                return redirect("outcomes:templates")
        else:
            status = 400
    else:
        form = TemplateForm(template=template)
    return render(
        request,
        "outcomes/template_edit.html",
        {"tpl": template, "form": form, "placeholders": placeholders.PLACEHOLDERS, "conflict": status == 409},
        status=status,
    )


def _agency_kind(user) -> str:
    """The kind of the user's agency (its measure types), "" without an agency."""
    return user.agency.kind if user.agency_id else ""
