"""Named operations on the Immobilienkataster: keep it in step with the `objekte` snapshot, scope it
to the user (need-to-know), change its case work without silent overwrites, export what is shown."""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from missimo import engine
from missimo.accounts import policy
from missimo.accounts.policy import Capability, Field, PropertyVisibility
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core import extensions, tables
from missimo.core.errors import Conflict
from missimo.imports.services import current_snapshots
from missimo.properties.models import (
    CATEGORY_FIELDS,
    Ampel,
    Category,
    Measure,
    Property,
    PropertyEvent,
)
from missimo.runs.models import Hint, RankedProperty, Run
from missimo.runs.services import hints_for, latest_run

log = logging.getLogger(__name__)

# --- need-to-know ----------------------------------------------------------------------------


class CaseworkConflict(Conflict):
    """Somebody else saved the property since the form was opened."""

    message = (
        "Ihre Änderungen wurden nicht gespeichert: Jemand anderes hat dieses Objekt geändert, "
        "nachdem Sie das Formular geöffnet haben. Die aktuelle Fassung wird unten angezeigt; "
        "bitte prüfen Sie sie und tragen Sie Ihre Änderungen erneut ein."
    )


def sees_all_properties(user) -> bool:
    return policy.property_scope(user) is PropertyVisibility.ALL


def visible_hints(user, run: Run | None = None) -> QuerySet[Hint]:
    """The hints of the latest run (or `run`) this user may see."""
    run = run if run is not None else latest_run()
    if run is None:
        return Hint.objects.none()
    return hints_for(user).filter(run=run)


def properties_for(user, run: Run | None = None) -> QuerySet[Property]:
    """The properties this user may see, annotated with the number of visible hints and the rank."""
    if not policy.can(user, Capability.SEE_REGISTER):
        return Property.objects.none()
    run = run if run is not None else latest_run()
    hints = visible_hints(user, run)
    queryset = Property.objects.all()
    if not sees_all_properties(user):
        queryset = queryset.filter(objekt_id__in=hints.values("objekt_id"))
    counts = (
        hints.filter(objekt_id=OuterRef("objekt_id"))
        .order_by()
        .values("objekt_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = queryset.annotate(
        hint_count=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0)),
    )
    if run is not None and policy.sees_field(user, Field.RANK):
        ranks = RankedProperty.objects.filter(run=run, objekt_id=OuterRef("objekt_id")).values("rank")[:1]
        queryset = queryset.annotate(rank=Subquery(ranks, output_field=IntegerField()))
    else:
        queryset = queryset.annotate(rank=Value(None, output_field=IntegerField()))
    return queryset


# --- list: filters, sort, search -------------------------------------------------------------

PLZ_CACHE_SECONDS = 300


def plz_choices(user) -> list[str]:
    """The postcodes offered by the list's PLZ filter.

    A DISTINCT over every property costs more than the rest of the list query, and the set only
    changes with an `objekte` delivery, so it is cached for a few minutes per scope (a new postcode
    appears in the filter at most PLZ_CACHE_SECONDS after the import; filtering by it works at once).
    """
    key = "properties:plz:all" if sees_all_properties(user) else f"properties:plz:user:{user.pk}"

    def compute() -> list[str]:
        return list(properties_for(user).order_by("plz").values_list("plz", flat=True).distinct())

    return cache.get_or_set(key, compute, PLZ_CACHE_SECONDS)


SORTS = {
    "adresse": ("Adresse", ["sort_address", "objekt_id"]),
    "rang": ("Rang im letzten Abgleich", [F("rank").asc(nulls_last=True), "sort_address"]),
    "hinweise": ("Anzahl Hinweise", ["-hint_count", "sort_address"]),
    "ampel": ("Ampel", ["ampel_order", "sort_address"]),
}


PAGE_SIZES = (25, 50, 100)
BESTAND = {"aktuell": "im aktuellen Datenstand", "entfallen": "nicht mehr geliefert"}


@dataclass(frozen=True)
class ListQuery:
    ampel: str = ""
    kategorie: str = ""
    hinweise: str = ""
    plz: str = ""
    q: str = ""
    sort: str = "adresse"
    bestand: str = ""  # "aktuell": in the latest objekte delivery; "entfallen": no longer delivered
    size: int = 50

    @classmethod
    def from_params(cls, params, *, rank_allowed: bool = True) -> ListQuery:
        ampel = params.get("ampel", "")
        kategorie = params.get("kategorie", "")
        hinweise = params.get("hinweise", "")
        plz = params.get("plz", "").strip()
        sort = params.get("sortierung", "adresse")
        if sort not in SORTS or (sort == "rang" and not rank_allowed):
            sort = "adresse"
        bestand = params.get("bestand", "")
        size = params.get("anzahl", "").strip()
        return cls(
            bestand=bestand if bestand in BESTAND else "",
            size=int(size) if size in {str(n) for n in PAGE_SIZES} else 50,
            ampel=ampel if ampel in Ampel.values else "",
            kategorie=kategorie if kategorie in Category.values else "",
            hinweise=hinweise if hinweise in ("ja", "nein") else "",
            plz=plz if re.fullmatch(r"\d{5}", plz) else "",
            q=params.get("q", "").strip()[:200],
            sort=sort,
        )

    def as_params(self) -> dict[str, str]:
        params = {
            "ampel": self.ampel,
            "kategorie": self.kategorie,
            "hinweise": self.hinweise,
            "plz": self.plz,
            "q": self.q,
            "bestand": self.bestand,
            "sortierung": self.sort,
            "anzahl": str(self.size) if self.size != 50 else "",
        }
        return {key: value for key, value in params.items() if value}


def apply_query(queryset: QuerySet[Property], query: ListQuery) -> QuerySet[Property]:
    if query.ampel:
        queryset = queryset.filter(ampel=query.ampel)
    if query.kategorie:
        queryset = queryset.filter(**{CATEGORY_FIELDS[Category(query.kategorie)]: True})
    if query.hinweise == "ja":
        queryset = queryset.filter(hint_count__gt=0)
    elif query.hinweise == "nein":
        queryset = queryset.filter(hint_count=0)
    if query.plz:
        queryset = queryset.filter(plz=query.plz)
    if query.bestand:
        queryset = queryset.filter(in_snapshot=query.bestand == "aktuell")
    for token in query.q.replace(",", " ").split():
        # "Dorfstraße" finds "Dorfstr." and "DORFSTRASSE" too: the address key holds the street's key.
        key = engine.street_key(token) if not token.isdigit() else ""
        queryset = queryset.filter(
            (Q(address_key__contains=key) if len(key) >= 3 else Q(pk__in=[]))
            | Q(strasse__icontains=token)
            | Q(hausnummer__iexact=token)
            | Q(plz=token)
            | Q(ort__icontains=token)
            | Q(aktenzeichen__icontains=token)
            | Q(objekt_id__iexact=token)
        )
    return queryset.order_by(*SORTS[query.sort][1])


def listed(user, query: ListQuery) -> QuerySet[Property]:
    return apply_query(properties_for(user), query)


# --- the columns shown in the list = the columns exported -----------------------------------


def columns(user) -> list[tuple[str, str]]:
    cols = [
        ("objekt_id", "Objekt-ID"),
        ("adresse", "Adresse"),
        ("ampel", "Ampel"),
        ("kategorien", "Problemkategorien"),
        ("aktenzeichen", "Aktenzeichen"),
        ("wohneinheiten", "Wohneinheiten"),
        ("hinweise", "Hinweise"),
    ]
    if policy.sees_field(user, Field.OWNER):
        cols.insert(6, ("eigentuemer", "Eigentümer"))
    if policy.sees_field(user, Field.RANK):
        cols.append(("rang", "Rang"))
    return cols


def row_of(prop: Property, cols: list[tuple[str, str]]) -> list:
    values = {
        "objekt_id": prop.objekt_id,
        "adresse": prop.address + ("" if prop.in_snapshot else " (nicht mehr im Datenstand)"),
        "ampel": prop.get_ampel_display(),
        "kategorien": ", ".join(prop.category_labels),
        "aktenzeichen": prop.aktenzeichen,
        "wohneinheiten": prop.wohneinheiten,
        "eigentuemer": prop.eigentuemer,
        "hinweise": prop.hint_count,
        "rang": prop.rank,
    }
    return [values[key] for key, _ in cols]


def export(user, query: ListQuery, fmt: str, *, request=None) -> bytes:
    """The listed properties (all pages, same filters, order and columns) as CSV or XLSX; audited."""
    cols = columns(user)
    props = list(listed(user, query))
    rows = [row_of(prop, cols) for prop in props]
    content = tables.table_bytes([label for _, label in cols], rows, fmt, "Objekte")
    _record_export(user, fmt, query, [prop.objekt_id for prop in props], request)
    return content


def _record_export(user, fmt: str, query: ListQuery, ids: list[str], request) -> None:
    record(
        user,
        AuditAction.EXPORT,
        object_type="property_list",
        purpose="Export der Objektliste des Immobilienkatasters",
        details={"format": fmt, "filters": query.as_params(), "objekte": ids},
        request=request,
    )


MAP_LIMIT = 5000  # markers per map; a whole city's buildings would be megabytes for no insight


def markers(queryset: QuerySet[Property], limit: int = MAP_LIMIT) -> tuple[list[dict], int]:
    """Map markers of the listed properties (all pages, in list order, at most `limit`) and how many
    of the listed properties have coordinates."""
    located = queryset.exclude(lat=None).exclude(lon=None)
    labels = dict(Ampel.choices)
    rows = located.values(
        "pk", "lat", "lon", "strasse", "hausnummer", "hausnummerzusatz", "plz", "ort", "ampel", "hint_count"
    )[:limit]
    found = [
        {
            "id": row["pk"],
            "lat": round(row["lat"], 6),
            "lon": round(row["lon"], 6),
            "label": (
                f"{engine.street_label(row['strasse'])} {row['hausnummer']}{row['hausnummerzusatz']}, "
                f"{row['plz']} {row['ort']}"
            ),
            "ampel": row["ampel"],
            "ampel_label": str(labels.get(row["ampel"], row["ampel"])),
            "hints": row["hint_count"],
        }
        for row in rows
    ]
    total = len(found) if len(found) < limit else located.count()
    return found, total


# --- sync with the objekte snapshot ----------------------------------------------------------


@dataclass(frozen=True)
class SyncReport:
    created: int
    updated: int
    vanished: int
    skipped: bool = False


_DATA_FIELDS = [  # delivered fields, rewritten when a delivery changes them
    "strasse",
    "hausnummer",
    "hausnummerzusatz",
    "plz",
    "ort",
    "wohneinheiten",
    "wohnflaeche_m2",
    "eigentuemer",
    "baujahr",
    "utm_ost",
    "utm_nord",
    "lat",
    "lon",
    "address_key",
    "sort_address",
    "in_snapshot",
]


def _sort_address(strasse: str, hausnummer: str, zusatz: str) -> str:
    digits = re.match(r"\d+", hausnummer or "")
    number = f"{int(digits.group()):06d}" if digits else (hausnummer or "").lower()
    return f"{engine.street_label(strasse).casefold()}|{number}|{(zusatz or '').casefold()}"


def _read_objekte(path: Path) -> list[dict]:
    from pyproj import Transformer

    rows = engine.objekte_rows(path)
    # ETRS89 / UTM zone 32N (EPSG:25832) to WGS84 (EPSG:4326), once per sync, vectorised.
    transformer = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)
    east = [r[10] if r[10] is not None and r[11] is not None else float("nan") for r in rows]
    north = [r[11] if r[10] is not None and r[11] is not None else float("nan") for r in rows]
    lons, lats = transformer.transform(east, north) if rows else ([], [])
    out = []
    for row, lon, lat in zip(rows, lons, lats, strict=True):
        valid = math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180
        out.append(
            {
                "objekt_id": row[0],
                "strasse": row[1] or "",
                "hausnummer": row[2] or "",
                "hausnummerzusatz": row[3] or "",
                "plz": row[4] or "",
                "ort": row[5] or "",
                "wohneinheiten": row[6],
                "wohnflaeche_m2": row[7],
                "eigentuemer": row[8] or "",
                "baujahr": row[9],
                "utm_ost": row[10],
                "utm_nord": row[11],
                "lat": float(lat) if valid else None,
                "lon": float(lon) if valid else None,
                "address_key": row[12] or "",
                "sort_address": _sort_address(row[1], row[2], row[3]),
            }
        )
    return out


# Delivered fields whose change case workers should see in the history of a property.
_TRACKED = {
    "strasse": "Straße",
    "hausnummer": "Hausnummer",
    "hausnummerzusatz": "Hausnummerzusatz",
    "plz": "PLZ",
    "wohneinheiten": "Wohneinheiten",
    "wohnflaeche_m2": "Wohnfläche (m²)",
    "eigentuemer": "Eigentümer",
    "in_snapshot": "im aktuellen Datenstand",
}


def _delivered_changes(prop: Property, values: dict) -> list[dict]:
    def shown(value):
        if isinstance(value, bool):
            return "ja" if value else "nein"
        return "" if value is None else value

    return [
        {"field": label, "old": shown(getattr(prop, field)), "new": shown(values[field])}
        for field, label in _TRACKED.items()
        if getattr(prop, field) != values[field]
    ]


def _delivery_event(prop: Property, changes: list[dict], import_id: int) -> PropertyEvent:
    return PropertyEvent(
        property=prop,
        actor=None,
        actor_name=f"Datenlieferung Objekte Nr. {import_id}",
        summary="Datenstand Objekte geändert",
        changes=changes,
    )


def _insert_new(rows: list[dict], extra: dict) -> None:
    """Insert brand-new properties with one parameterised statement per batch. A first delivery
    brings tens of thousands of buildings; compiling them one model instance at a time (bulk_create)
    took 13 s for 60,000 rows, this takes well under one."""
    if not rows:
        return
    connection = transaction.get_connection()
    fields = [field for field in Property._meta.concrete_fields if not field.primary_key]
    delivered = set(rows[0])
    constant = {
        field.attname: field.get_db_prep_save(
            extra[field.attname] if field.attname in extra else field.get_default(), connection
        )
        for field in fields
        if field.attname not in delivered
    }
    quote = connection.ops.quote_name
    # Identifiers come from the model's own metadata, values are bound parameters.
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(Property._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    names = [field.attname for field in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(
                sql,
                [
                    tuple(row[name] if name in delivered else constant[name] for name in names)
                    for row in rows[start : start + 5000]
                ],
            )


def sync_from_snapshot(*, force: bool = False) -> SyncReport:
    """Upsert every property of the current `objekte` snapshot; keep the case work; mark properties
    that are no longer delivered instead of deleting them (their history stays)."""
    snapshot = current_snapshots().get("objekte")
    if snapshot is None:
        return SyncReport(0, 0, 0, skipped=True)
    if (
        not force
        and not Property.objects.filter(in_snapshot=True)
        .exclude(snapshot_import_id=snapshot.import_id)
        .exists()
    ):
        already = Property.objects.filter(snapshot_import_id=snapshot.import_id).count()
        if already == snapshot.row_count:
            return SyncReport(0, 0, 0, skipped=True)
    rows = _read_objekte(snapshot.path)
    now = timezone.now()
    with transaction.atomic():
        # Compare against plain tuples; model instances are built only for the rows that changed.
        list(Property.objects.select_for_update().values_list("pk", flat=True))
        existing = {
            values[1]: (values[0], values[2:])
            for values in Property.objects.values_list("pk", "objekt_id", *_DATA_FIELDS)
        }
        new, changed_values = [], {}
        for row in rows:
            found = existing.get(row["objekt_id"])
            values = {**row, "in_snapshot": True}
            if found is None:
                new.append(values)
            elif any(stored != values[key] for key, stored in zip(_DATA_FIELDS, found[1], strict=True)):
                changed_values[found[0]] = values
        _insert_new(new, {"snapshot_import_id": snapshot.import_id, "synced_at": now})
        changed, events = [], []
        for start in range(0, len(changed_values), 500):
            batch = list(changed_values)[start : start + 500]
            for prop in Property.objects.filter(pk__in=batch):
                values = changed_values[prop.pk]
                differences = _delivered_changes(prop, values)
                if differences:
                    events.append(_delivery_event(prop, differences, snapshot.import_id))
                for key, value in values.items():
                    setattr(prop, key, value)
                changed.append(prop)
        Property.objects.bulk_update(changed, _DATA_FIELDS, batch_size=500)
        delivered = {row["objekt_id"] for row in rows}
        gone = [
            pk
            for objekt_id, (pk, stored) in existing.items()
            if objekt_id not in delivered and stored[_DATA_FIELDS.index("in_snapshot")]
        ]
        vanished = []
        for start in range(0, len(gone), 500):
            batch = gone[start : start + 500]
            vanished.extend(Property.objects.filter(pk__in=batch))
            Property.objects.filter(pk__in=batch).update(in_snapshot=False, synced_at=now)
        Property.objects.filter(in_snapshot=True).update(snapshot_import_id=snapshot.import_id, synced_at=now)
        events.extend(
            _delivery_event(
                p, [{"field": "im aktuellen Datenstand", "old": "ja", "new": "nein"}], snapshot.import_id
            )
            for p in vanished
        )
        PropertyEvent.objects.bulk_create(events, batch_size=2000)
    report = SyncReport(len(new), len(changed), len(gone))
    record(
        None,
        AuditAction.SYSTEM,
        object_type="property_register",
        object_id=snapshot.import_id,
        purpose="Abgleich des Immobilienkatasters mit dem Datenstand Objekte",
        details={"created": report.created, "updated": report.updated, "vanished": report.vanished},
    )
    return report


# --- residents (a count, never names) --------------------------------------------------------


def reference_date() -> dt.date:
    """The day residents are counted at: the Stichtag of the latest run, else today."""
    run = latest_run()
    return run.stichtag if run is not None else timezone.localdate()


def residents_count(prop: Property) -> int | None:
    """Persons with their main residence (H) in this building on the latest run's Stichtag, counted
    exactly as the rule UEBERBELEGUNG counts them (engine.rules.RESIDENTS_SQL: registrations linked
    to the building by the address linkage, one person counted once); None before the first run."""
    run = latest_run()
    if run is None or (not run.residents and not run.counts.get("rows_melderegister")):
        return None
    return int(run.residents.get(prop.objekt_id, 0))


# --- case work --------------------------------------------------------------------------------

CASEWORK_FIELDS = [
    *CATEGORY_FIELDS.values(),
    "problemdruck",
    "handlungsmoeglichkeit",
    "negative_entwicklung",
    "ziel",
    "beschwerdelage",
    "beschwerden_anzahl",
    "aktenzeichen",
    "arbeitgeber",
    "eigentuemer_notiz",
]


def _shown(prop: Property, field: str):
    value = getattr(prop, field)
    model_field = Property._meta.get_field(field)
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if model_field.choices and value:
        return str(dict(model_field.choices).get(value, value))
    return value


def _actor_name(user) -> str:
    name = user.display_name
    return f"{name} ({user.agency})" if user.agency_id else name


def update_casework(user, prop: Property, data: dict, version: int, *, request=None) -> Property:
    """Save the case work if nobody saved in between (optimistic locking on `version`)."""
    if not policy.can(user, Capability.EDIT_REGISTER):
        raise PermissionError("Sie dürfen die Fallbearbeitung nicht ändern.")
    with transaction.atomic():
        current = Property.objects.select_for_update().get(pk=prop.pk)
        if current.version != version:
            raise CaseworkConflict
        before = {f: _shown(current, f) for f in CASEWORK_FIELDS}
        for field in CASEWORK_FIELDS:
            if field in data:
                setattr(current, field, data[field])
        old_ampel = current.get_ampel_display()
        current.refresh_ampel()
        changes = [
            {
                "field": str(Property._meta.get_field(f).verbose_name),
                "old": before[f],
                "new": _shown(current, f),
            }
            for f in CASEWORK_FIELDS
            if before[f] != _shown(current, f)
        ]
        if current.get_ampel_display() != old_ampel:
            changes.append({"field": "Ampel", "old": old_ampel, "new": current.get_ampel_display()})
        if not changes:
            return current
        current.version += 1
        current.updated_at = timezone.now()
        current.save(update_fields=[*CASEWORK_FIELDS, "ampel", "ampel_order", "version", "updated_at"])
        PropertyEvent.objects.create(
            property=current,
            actor=user,
            actor_name=_actor_name(user),
            summary="Fallbearbeitung geändert",
            changes=changes,
        )
    record(
        user,
        AuditAction.CHANGE,
        object_type="property",
        object_id=current.objekt_id,
        purpose="Fallbearbeitung im Immobilienkataster",
        details={"version": current.version, "changes": changes},
        request=request,
    )
    return current


def add_measure(user, prop: Property, data: dict, *, request=None) -> Measure:
    if not policy.can(user, Capability.EDIT_REGISTER):
        raise PermissionError("Sie dürfen keine Maßnahmen erfassen.")
    with transaction.atomic():
        measure = Measure.objects.create(property=prop, created_by=user, **data)
        PropertyEvent.objects.create(
            property=prop,
            actor=user,
            actor_name=_actor_name(user),
            summary=f"{measure.get_kind_display()} erfasst",
            changes=[
                {"field": "Datum", "old": "", "new": f"{measure.date:%d.%m.%Y}"},
                {"field": "Stelle", "old": "", "new": measure.agency},
                {"field": "Beschreibung", "old": "", "new": measure.text},
            ],
        )
    record(
        user,
        AuditAction.CREATE,
        object_type="property_measure",
        object_id=measure.pk,
        purpose="Verfahren/Maßnahme im Immobilienkataster erfasst",
        details={"objekt_id": prop.objekt_id, "kind": measure.kind, "date": measure.date.isoformat()},
        request=request,
    )
    return measure


def sync_after_import() -> SyncReport | None:
    """Called when a new objekte snapshot is in force and at the end of every run (properties.signals).
    A failure here must not turn a taken delivery into a failed one: it is logged, and the end of the
    next run syncs again."""
    try:
        return sync_from_snapshot()
    except Exception:
        log.exception("Immobilienkataster: sync with the objekte snapshot failed")
        return None


def procedure_deadlines(user, mine: bool) -> list[extensions.DueItem]:
    """The Fristen page's dates of procedure steps (registered in apps.py): the deadline of a
    property's latest step, as long as no later step is recorded there (a later step, e.g. the
    Anordnung after the Anhörung, answers it). For those who keep the register; `mine`: the steps
    the user recorded. The ICS file names only the kind and the property's number."""
    if not policy.can(user, Capability.EDIT_REGISTER):
        return []
    later = Measure.objects.filter(property=OuterRef("property")).filter(
        Q(date__gt=OuterRef("date")) | Q(date=OuterRef("date"), pk__gt=OuterRef("pk"))
    )
    steps = (
        Measure.objects.filter(deadline__isnull=False, property__in=properties_for(user).values("pk"))
        .exclude(Exists(later))
        .select_related("property")
    )
    if mine:
        steps = steps.filter(created_by=user)
    return [
        extensions.DueItem(
            kind=f"Frist: {step.get_kind_display()}",
            date=step.deadline,
            title=step.property.objekt_id,
            url=reverse("properties:detail", args=[step.property.pk]),
            uid=f"verfahrensschritt-{step.pk}-{step.deadline:%Y%m%d}",
            place=step.property.address,
            note=f"{step.agency}: {step.text}"[:200],
        )
        for step in steps
    ]
