from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from missimo.accounts import policy
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core import tables
from missimo.engine import get_source
from missimo.imports import services
from missimo.imports.forms import DeliveryForm, MappingForm
from missimo.imports.models import Import
from missimo.imports.preview import preview
from missimo.imports.tasks import import_delivery

ERRORS_SHOWN = 200


def _allowed_sources_or_404(request) -> list[str]:
    allowed = policy.delivery_sources(request.user)
    if not allowed:
        raise Http404
    return allowed


DELIVERY_LIST_LIMIT = 200


def listed_deliveries(request) -> list[Import]:
    """The "Letzte Lieferungen" of the page: the user's sources, the latest 200."""
    _allowed_sources_or_404(request)
    return list(services.imports_for(request.user)[:DELIVERY_LIST_LIMIT])


DELIVERY_HEADER = ["Nr.", "Quelle", "Datei", "geliefert", "Status", "übernommen", "abgelehnt"]


def delivery_table(deliveries) -> tuple[list[str], list[list]]:
    rows = [
        [
            d.pk,
            d.get_source_display(),
            d.original_filename,
            d.created_at,
            d.get_status_display(),
            d.accepted_count,
            d.rejected_count,
        ]
        for d in deliveries
    ]
    return DELIVERY_HEADER, rows


@require_GET
def delivery_list(request):
    allowed = _allowed_sources_or_404(request)
    services.reconcile_interrupted_imports()
    deliveries = listed_deliveries(request)
    snapshots = services.current_snapshots()
    sources = [(source, get_source(source).label, snapshots.get(source)) for source in allowed]
    restorable = {source: services.previous_delivery(source) for source in allowed}
    return render(
        request,
        "imports/list.html",
        {
            "deliveries": deliveries,
            "header": DELIVERY_HEADER,
            "sources": sources,
            "restorable": restorable,
            "held": list(services.held_deliveries(request.user)),
        },
    )


@require_GET
def delivery_export(request, fmt: str):
    """The "Letzte Lieferungen" as shown (metadata, no rows of the files) as CSV or XLSX."""
    tables.require_format(fmt)
    header, rows = delivery_table(listed_deliveries(request))
    return tables.export(header, rows, fmt, "lieferungen", "Lieferungen")


@require_http_methods(["GET", "POST"])
def delivery_new(request, source: str):
    if source not in _allowed_sources_or_404(request):
        raise Http404
    form = DeliveryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            delivery = services.store_delivery(source, upload, upload.name, user=request.user, channel="web")
        except services.DeliveryRefused as refused:
            form.add_error("file", refused.message)
        else:
            transaction.on_commit(lambda: import_delivery.enqueue(delivery.pk))
            return redirect("imports:detail", pk=delivery.pk)
    saved_mapping = services.mapping_for(request.user, source)
    return render(
        request,
        "imports/new.html",
        {
            "form": form,
            "source": source,
            "source_label": get_source(source).label,
            "saved_mapping": saved_mapping,
        },
    )


def _visible_delivery(request, pk: int) -> Import:
    return get_object_or_404(services.imports_for(request.user), pk=pk)


@require_GET
def delivery_detail(request, pk: int):
    services.reconcile_interrupted_imports()
    delivery = _visible_delivery(request, pk)
    may_see_rows = services.may_download_rejected(request.user, delivery)
    errors = list(delivery.row_errors.all()[:ERRORS_SHOWN]) if may_see_rows else []
    if errors:
        record(
            request.user,
            AuditAction.READ,
            object_type="import_rejected_rows",
            object_id=delivery.pk,
            purpose="Prüfung abgelehnter Zeilen einer Lieferung",
            request=request,
        )
    template = "imports/_status.html" if request.htmx else "imports/detail.html"
    return render(
        request,
        template,
        {
            "delivery": delivery,
            "errors": errors,
            "may_see_rows": may_see_rows,
            "errors_shown": ERRORS_SHOWN,
            "may_decide": services.may_decide(request.user, delivery),
        },
    )


@require_POST
def delivery_confirm(request, pk: int):
    """Put a held delivery in force (the delivering agency or the coordination office)."""
    delivery = _visible_delivery(request, pk)
    try:
        services.confirm_held(request.user, delivery, request=request)
    except services.DeliveryRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, f"Die Lieferung Nr. {delivery.pk} ist bestätigt und bildet jetzt den Datenstand."
        )
    return redirect("imports:detail", pk=delivery.pk)


@require_POST
def delivery_discard(request, pk: int):
    """Discard a held delivery: the delivery in force stays."""
    delivery = _visible_delivery(request, pk)
    try:
        services.discard_held(request.user, delivery, request=request)
    except services.DeliveryRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, f"Die Lieferung Nr. {delivery.pk} ist verworfen; der bisherige Datenstand gilt weiter."
        )
    return redirect("imports:detail", pk=delivery.pk)


@require_POST
def delivery_restore(request, source: str):
    """ "Vorherige Lieferung wiederherstellen" for one of the user's sources."""
    if source not in _allowed_sources_or_404(request):
        raise Http404
    try:
        previous = services.restore_previous(request.user, source, request=request)
    except services.DeliveryRefused as refused:
        messages.error(request, refused.message)
        return redirect("imports:list")
    messages.success(
        request,
        f"Die Lieferung Nr. {previous.pk} vom {previous.created_at:%d.%m.%Y} bildet wieder den Datenstand "
        f"({get_source(source).label}).",
    )
    return redirect("imports:detail", pk=previous.pk)


def _stored(relative: str):
    """The delivery's file in the data directory; 404 if the record points elsewhere or it is gone."""
    try:
        path = services.data_path(relative)
    except ValueError:
        raise Http404 from None
    if not path.is_file():
        raise Http404
    return path


@require_GET
def rejected_download(request, pk: int):
    delivery = _visible_delivery(request, pk)
    if not delivery.rejected_file or not services.may_download_rejected(request.user, delivery):
        raise Http404
    path = _stored(delivery.rejected_file)
    record(
        request.user,
        AuditAction.EXPORT,
        object_type="import_rejected_rows",
        object_id=delivery.pk,
        purpose="Abgelehnte Zeilen zur Korrektur an die liefernde Stelle",
        request=request,
    )
    name = f"abgelehnte_zeilen_{delivery.source}_{delivery.pk}.csv"
    return FileResponse(
        open(path, "rb"),
        as_attachment=True,
        filename=name,
        content_type="text/csv; charset=utf-8",
    )


@require_http_methods(["GET", "POST"])
def delivery_mapping(request, pk: int):
    delivery = _visible_delivery(request, pk)
    if not services.may_download_rejected(request.user, delivery) or not delivery.stored_file:
        raise Http404
    stored = _stored(delivery.stored_file)
    header, rows = preview(stored)
    if not header:
        messages.error(
            request, "Die Datei kann nicht gelesen werden; eine Spaltenzuordnung ist nicht möglich."
        )
        return redirect("imports:detail", pk=delivery.pk)
    initial = delivery.mapping_used or services.mapping_for(request.user, delivery.source)
    form = MappingForm(request.POST or None, source=delivery.source, header=header, initial_mapping=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_mapping(request.user, delivery.source, form.mapping())
            with open(stored, "rb") as stream:
                again = services.store_delivery(
                    delivery.source, stream, delivery.original_filename, user=request.user, channel="web"
                )
        except services.DeliveryRefused as refused:
            form.add_error(None, refused.message)
        else:
            transaction.on_commit(lambda: import_delivery.enqueue(again.pk))
            messages.success(
                request,
                "Die Spaltenzuordnung ist gespeichert und wird für die nächsten Lieferungen Ihrer Behörde verwendet. "
                "Die Datei wird jetzt damit eingelesen.",
            )
            return redirect("imports:detail", pk=again.pk)
    record(
        request.user,
        AuditAction.READ,
        object_type="import_preview",
        object_id=delivery.pk,
        purpose="Spaltenzuordnung einer Lieferung",
        request=request,
    )
    return render(
        request, "imports/mapping.html", {"delivery": delivery, "form": form, "header": header, "rows": rows}
    )
