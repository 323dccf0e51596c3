"""The figures of the dashboard, the annual report and a campaign's final report (Abschlussbericht).

`figures_for(period_start, period_end, campaign=None)` is a pure function of the database: it reads
the records and returns `Figures`, a list of sections of plain tables (rows of counts or euro sums).
The web pages, the charts, the PDF, the XLSX and the CSV all render these same tables, so every
format shows the same numbers; `public(figures)` turns them into the public version (small cells
suppressed, see `suppress`).

Periods are inclusive on both ends and counted by the date of the event:

- properties (traffic light, categories): the register as it stands today (properties of the
  campaign's cases for a campaign report);
- hints: the latest finished run whose Stichtag lies in the period (the campaign's hints: those of
  its cases); status is the latest review (offen / zur Kontrolle vorgeschlagen / verworfen);
- cases: opened (created) in the period, with their current status (a campaign: all its cases);
- inspections: carried out (status "durchgeführt") with the appointment date in the period;
  properties visited: completed visits of those inspections;
- outcomes: decided in the period (`decided_on`), per agency and result;
- measures and money: active (not withdrawn) measures taken in the period (`taken_on`);
- school participation: schools in the current `schule` delivery out of all schools;
- school absence: hints of the rule SCHULABSENTISMUS in the chosen run (or the campaign's cases),
  with their review status, the recorded outcomes and the dismissal reasons as causes.

Every section degrades to "keine Daten" when the model it reads is unavailable (`_model` is None).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from missimo import engine
from missimo.casework.models import CaseStatus, ReviewReason
from missimo.casework.services import with_review_status
from missimo.certificates.schools import participation as school_participation_by_year
from missimo.imports import services as imports
from missimo.inspections.models import Finding as FindingChoice
from missimo.inspections.models import HelpNeed, ReferralStatus
from missimo.outcomes.models import MeasureKind, OutcomeResult
from missimo.properties.models import CATEGORY_FIELDS, Ampel, Category
from missimo.runs.services import hints_of_run

log = logging.getLogger(__name__)

SUPPRESS_BELOW = 10
SUPPRESSED = "< 10"
NO_DATA = "keine Daten"
ABSENCE_RULE = "SCHULABSENTISMUS"
WIDE_COLUMNS = 5  # value columns of a table that still fit an A4 portrait page

MONTHS = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]

Value = int | Decimal | str | None


@dataclass
class Row:
    label: str
    values: list[Value]


@dataclass
class Table:
    """One table of a report: a caption, a header for the row labels, value columns, rows and an
    optional total row. `money` tables hold euro sums; their `count_column` (if any) holds the
    number of measures a row rests on (used for suppression). `suppress=False` tables hold no
    counts of people or cases (e.g. schools) and stay unchanged in the public version."""

    key: str
    title: str
    row_header: str
    columns: list[str]
    rows: list[Row]
    total: Row | None = None
    money_columns: tuple[int, ...] = ()
    count_column: int | None = None
    suppress: bool = True
    chart: bool = True
    chart_column: int | None = None
    note: str = ""
    # Printed (PDF, DOCX) as one row per row label × column ("long"), not as a matrix: for tables
    # with many columns whose headings would only fit hyphenated letter by letter.
    printed_long: bool = False
    long_column: str = "Art"  # the header of the column that names the matrix's column in a long table

    def value(self, row_label: str, column: str | int = 0) -> Value:
        """The value of a row (by label, "Summe" for the total) and column (by header or index)."""
        index = column if isinstance(column, int) else self.columns.index(column)
        for row in [*self.rows, *([self.total] if self.total else [])]:
            if row.label == row_label:
                return row.values[index]
        raise KeyError(row_label)

    def column_values(self, column: str | int = 0) -> dict[str, Value]:
        index = column if isinstance(column, int) else self.columns.index(column)
        return {row.label: row.values[index] for row in self.rows}

    @property
    def header(self) -> list[str]:
        return [self.row_header, *self.columns]

    @property
    def wide(self) -> bool:
        """More value columns than fit an A4 portrait page: printed on a landscape page."""
        return not self.printed_long and len(self.columns) > WIDE_COLUMNS

    @property
    def printed_header(self) -> list[str]:
        """The header of the printed table (PDF, DOCX)."""
        if self.printed_long:
            return [self.row_header, self.long_column, "Anzahl"]
        return self.header

    @property
    def printed_numeric(self) -> list[bool]:
        """Per printed value column: numeric (right-aligned)?"""
        if self.printed_long:
            return [False, True]
        return [True] * len(self.columns)

    def printed(self) -> list[tuple[str, list[str], bool]]:
        """The rows of the printed table as `display` gives them; for a long table one row per row
        label and column with a value other than zero, then the row's sum, then the sum per column."""
        if not self.printed_long:
            return self.display()
        rows = []
        for label, cells, is_total in self.display():
            values = (self.total if is_total else next(r for r in self.rows if r.label == label)).values
            name = "Summe (alle)" if is_total else label
            for column, value, text in zip(self.columns, values, cells, strict=True):
                if column == "Summe":
                    rows.append((name, ["Summe", text], True))
                elif value != 0:
                    rows.append((name, [column, text], is_total))
        return rows

    def display(self) -> list[tuple[str, list[str], bool]]:
        """(label, cell texts, is total) per row, as the page, the PDF and the chart show them."""
        rows = [(row, False) for row in self.rows] + ([(self.total, True)] if self.total else [])
        return [
            (row.label, [cell_text(v, i in self.money_columns) for i, v in enumerate(row.values)], is_total)
            for row, is_total in rows
        ]

    def body(self) -> list[list[Value]]:
        """All rows (total last) as lists: label first, then the values."""
        rows = [*self.rows, *([self.total] if self.total else [])]
        return [[row.label, *row.values] for row in rows]


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)
    available: bool = True
    note: str = ""

    @property
    def wide(self) -> bool:
        """A section with a wide table is printed on landscape pages, its heading with it."""
        return any(table.wide for table in self.tables)


@dataclass
class Figures:
    period_start: dt.date
    period_end: dt.date
    campaign: Any = None
    run: Any = None
    sections: list[Section] = field(default_factory=list)
    public: bool = False

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def table(self, key: str) -> Table:
        for section in self.sections:
            for table in section.tables:
                if table.key == key:
                    return table
        raise KeyError(key)

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]


# --- helpers ----------------------------------------------------------------------------------


def _model(app_label: str, name: str):
    """The model, or None when its app is not installed (yet)."""
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _totals(rows: list[Row]) -> Row:
    width = len(rows[0].values) if rows else 0
    sums: list[Value] = []
    for i in range(width):
        column = [row.values[i] for row in rows if isinstance(row.values[i], int | Decimal)]
        sums.append(sum(column, start=type(column[0])(0)) if column else 0)
    return Row("Summe", sums)


def _count_table(key, title, row_header, counts: dict[str, int], labels: dict[str, str], **extra) -> Table:
    rows = [Row(labels.get(code, code), [counts.get(code, 0)]) for code in labels]
    rows += [Row(code, [n]) for code, n in counts.items() if code not in labels]
    return Table(key, title, row_header, ["Anzahl"], rows, _totals(rows), **extra)


def _matrix_table(
    key, title, row_header, pairs: Counter, row_labels: dict[str, str], col_labels: dict[str, str], **extra
) -> Table:
    """Rows × columns of counts from a Counter of (row code, column code), with a Summe column."""
    row_codes = list(row_labels) + sorted({r for r, _ in pairs if r not in row_labels})
    rows = []
    for code in row_codes:
        values: list[Value] = [pairs.get((code, col), 0) for col in col_labels]
        values.append(sum(values))
        rows.append(Row(row_labels.get(code, code), values))
    return Table(
        key,
        title,
        row_header,
        [*col_labels.values(), "Summe"],
        rows,
        _totals(rows) if rows else None,
        chart_column=len(col_labels),
        **extra,
    )


def _month_label(day: dt.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def _date_of(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# --- scope ------------------------------------------------------------------------------------


@dataclass
class _Scope:
    start: dt.date
    end: dt.date
    campaign: Any
    run: Any

    def hints(self):
        Hint = _model("runs", "Hint")
        if self.campaign is not None:
            return Hint.objects.filter(cases__campaign=self.campaign).distinct()
        if self.run is None:
            return Hint.objects.none()
        # Every hint the period's run found, also those found again by a later run (a hint is one
        # thing across runs; its `run` is the latest run that found it).
        return hints_of_run(self.run)

    def campaign_hint_ids(self):
        return _model("runs", "Hint").objects.filter(cases__campaign=self.campaign).values("pk")


def _run_for(start: dt.date, end: dt.date, campaign) -> Any:
    Run = _model("runs", "Run")
    if campaign is not None:
        return campaign.run
    return (
        Run.objects.filter(status="finished", stichtag__gte=start, stichtag__lte=end)
        .order_by("-stichtag", "-finished_at", "-id")
        .first()
    )


# --- sections ---------------------------------------------------------------------------------


def _properties_section(scope: _Scope) -> Section:
    section = Section("objekte", "Objekte im Immobilienkataster")
    Property = _model("properties", "Property")
    if Property is None:
        return replace(section, available=False)

    queryset = Property.objects.filter(in_snapshot=True)
    if scope.campaign is not None:
        queryset = Property.objects.filter(cases__campaign=scope.campaign).distinct()
    ampel = dict(queryset.order_by().values_list("ampel").annotate(n=Count("pk", distinct=True)))
    section.tables.append(
        _count_table(
            "objekte_ampel",
            "Objekte nach Ampel",
            "Ampel",
            ampel,
            {code: str(label) for code, label in Ampel.choices},
        )
    )
    categories = {code: queryset.filter(**{field: True}).count() for code, field in CATEGORY_FIELDS.items()}
    no_category = queryset.filter(**dict.fromkeys(CATEGORY_FIELDS.values(), False)).count()
    rows = [Row(str(Category(code).label), [n]) for code, n in categories.items()]
    rows.append(Row("ohne Kategorie", [no_category]))
    section.tables.append(
        Table(
            "objekte_kategorie",
            "Objekte nach Problemkategorie",
            "Kategorie",
            ["Anzahl"],
            rows,
            note="Ein Objekt kann mehreren Kategorien angehören; daher keine Summe.",
        )
    )
    section.note = (
        "Stand: heute (die Objekte der Prüffälle des Aktionszeitraums)."
        if scope.campaign is not None
        else "Stand: heute (alle Objekte im aktuellen Datenstand)."
    )
    return section


def _hint_status_labels() -> dict[str, str]:
    return {"offen": "offen", "bestaetigt": "zur Kontrolle vorgeschlagen", "verworfen": "verworfen"}


def _with_status(hints):
    """Hints annotated with `review_status`, or None when hint reviews do not exist yet."""
    if _model("casework", "HintReview") is None:
        return None
    return with_review_status(hints)


def _rule_titles() -> dict[str, str]:
    return engine.rule_titles()


def _hints_section(scope: _Scope) -> Section:
    section = Section("hinweise", "Prüfhinweise nach Regel und Status")
    if scope.campaign is None and scope.run is None:
        section.available = False
        section.note = "Im Zeitraum liegt kein abgeschlossener Abgleich (Stichtag im Zeitraum)."
        return section
    if scope.campaign is not None:
        section.note = "Hinweise der Prüffälle des Aktionszeitraums."
    else:
        section.note = f"Abgleich Nr. {scope.run.pk} zum Stichtag {scope.run.stichtag:%d.%m.%Y}."
    hints = scope.hints()
    annotated = _with_status(hints)
    titles = _rule_titles()
    if annotated is None:
        counts = Counter(dict(hints.order_by().values_list("rule").annotate(n=Count("pk"))))
        rules = {code: titles.get(code, code) for code in sorted(counts)}
        section.tables.append(
            _count_table("hinweise_regel", "Hinweise nach Regel", "Regel", dict(counts), rules)
        )
        section.note += " Status: keine Daten (Sichtung noch nicht verfügbar)."
        return section
    pairs = Counter(
        {
            (rule, status): n
            for rule, status, n in annotated.order_by()
            .values_list("rule", "review_status")
            .annotate(n=Count("pk", distinct=True))
        }
    )
    rules = {code: titles.get(code, code) for code in sorted({rule for rule, _ in pairs})}
    table = _matrix_table(
        "hinweise_regel_status",
        "Hinweise nach Regel und Status",
        "Regel",
        pairs,
        rules,
        _hint_status_labels(),
    )
    table.note = "Regeln mit ihrem Titel; die Kennung jeder Regel steht im Regelkatalog (Handbuch)."
    section.tables.append(table)
    return section


def _cases_queryset(scope: _Scope):
    Case = _model("casework", "Case")
    if scope.campaign is not None:  # a campaign's cases are often opened before it starts
        return Case.objects.filter(campaign=scope.campaign)
    return Case.objects.filter(created_at__date__gte=scope.start, created_at__date__lte=scope.end)


def _cases_section(scope: _Scope) -> Section:
    section = Section("faelle", "Prüffälle (Verdachtsfälle) nach Bearbeitungsstand")
    if _model("casework", "Case") is None:
        return replace(section, available=False)

    counts = dict(_cases_queryset(scope).order_by().values_list("status").annotate(n=Count("pk")))
    section.tables.append(
        _count_table(
            "faelle_status",
            "Prüffälle nach Status",
            "Status",
            counts,
            {code: str(label) for code, label in CaseStatus.choices},
        )
    )
    section.note = (
        "Alle Prüffälle des Aktionszeitraums mit ihrem heutigen Bearbeitungsstand."
        if scope.campaign is not None
        else "Im Zeitraum angelegte Prüffälle mit ihrem heutigen Bearbeitungsstand."
    )
    return section


def _inspections_section(scope: _Scope) -> Section:
    section = Section("kontrollen", "Kontrollen")
    Inspection = _model("inspections", "Inspection")
    Visit = _model("inspections", "Visit")
    Finding = _model("inspections", "InspectionFinding")
    if Inspection is None or Visit is None:
        section.available = False
        section.note = "Kontrollen werden noch nicht erfasst."
        return section
    inspections = Inspection.objects.filter(
        status="durchgefuehrt",
        scheduled_at__date__gte=scope.start,
        scheduled_at__date__lte=scope.end,
    )
    if scope.campaign is not None:
        inspections = inspections.filter(campaign=scope.campaign)
    visits = Visit.objects.filter(inspection__in=inspections, status="abgeschlossen")
    rows = [
        Row("durchgeführte Kontrollen", [inspections.count()]),
        Row(
            "kontrollierte Objekte",
            [visits.exclude(case__property=None).values("case__property").distinct().count()],
        ),
        Row("kontrollierte Prüffälle", [visits.values("case").distinct().count()]),
    ]
    Household = _model("inspections", "Household")
    if Household is not None:
        rows.append(Row("erfasste Wohnungen/Haushalte", [Household.objects.filter(visit__in=visits).count()]))
    section.tables.append(
        Table("kontrollen_kennzahlen", "Kontrollen im Zeitraum", "Kennzahl", ["Anzahl"], rows)
    )
    if Finding is not None:
        counts = dict(
            Finding.objects.filter(visit__in=visits).order_by().values_list("finding").annotate(n=Count("pk"))
        )
        section.tables.append(
            _count_table(
                "kontrollen_befunde",
                "Ergebnisse der Kontrollen je Hinweis",
                "Ergebnis vor Ort",
                counts,
                {code: str(label) for code, label in FindingChoice.choices},
            )
        )
    section.note = "Durchgeführte Kontrollen mit Termin im Zeitraum; Objekte mit abgeschlossenem Protokoll."
    return section


def _agency_names(ids) -> dict[str, str]:
    Agency = _model("accounts", "Agency")
    return {str(pk): name for pk, name in Agency.objects.filter(pk__in=ids).values_list("pk", "name")}


def _outcomes_queryset(scope: _Scope):
    Outcome = _model("outcomes", "Outcome")
    queryset = Outcome.objects.filter(decided_on__gte=scope.start, decided_on__lte=scope.end)
    if scope.campaign is not None:
        queryset = queryset.filter(
            Q(case__campaign=scope.campaign) | Q(hint__in=scope.campaign_hint_ids())
        ).distinct()
    return queryset


def _measures_queryset(scope: _Scope):
    Measure = _model("outcomes", "AgencyMeasure")
    queryset = Measure.objects.active().filter(taken_on__gte=scope.start, taken_on__lte=scope.end)
    if scope.campaign is not None:
        queryset = queryset.filter(
            Q(case__campaign=scope.campaign) | Q(hint__in=scope.campaign_hint_ids())
        ).distinct()
    return queryset


def _outcomes_section(scope: _Scope) -> Section:
    section = Section("ergebnisse", "Ergebnisse und Maßnahmen je Behörde")
    if _model("outcomes", "Outcome") is None or _model("outcomes", "AgencyMeasure") is None:
        section.available = False
        section.note = "Ergebnisse werden noch nicht erfasst."
        return section

    outcomes = _outcomes_queryset(scope)
    pairs = Counter()
    for agency_id, result in outcomes.values_list("agency_id", "result"):
        pairs[(str(agency_id), result)] += 1
    agencies = _agency_names({a for a, _ in pairs})
    table = _matrix_table(
        "ergebnisse_behoerde",
        "Ergebnisse je Behörde",
        "Behörde",
        Counter({(agencies[a], r): n for (a, r), n in pairs.items()}),
        {name: name for name in sorted(agencies.values())},
        {code: str(label) for code, label in OutcomeResult.choices},
    )
    section.tables.append(table)

    measures = _measures_queryset(scope)
    pairs = Counter()
    for agency_id, kind in measures.values_list("agency_id", "kind"):
        pairs[(str(agency_id), kind)] += 1
    agencies = _agency_names({a for a, _ in pairs})
    section.tables.append(
        _matrix_table(
            "massnahmen_behoerde",
            "Maßnahmen je Behörde",
            "Behörde",
            Counter({(agencies[a], k): n for (a, k), n in pairs.items()}),
            {name: name for name in sorted(agencies.values())},
            {code: str(label) for code, label in MeasureKind.choices},
            printed_long=True,
            long_column="Maßnahme",
        )
    )
    section.note = (
        "Ergebnisse mit Feststellungsdatum im Zeitraum; Maßnahmen mit Datum im Zeitraum "
        "(zurückgenommene Maßnahmen zählen nicht)."
    )
    return section


_MONEY = ["eingestellt (€/Monat)", "zurückgefordert (€)", "prognostizierte Einsparung (€)", "Maßnahmen"]


def _money_row(label: str, agg: dict) -> Row:
    zero = Decimal("0.00")
    return Row(
        label,
        [
            agg.get("stopped") or zero,
            agg.get("reclaimed") or zero,
            agg.get("projected") or zero,
            agg.get("n") or 0,
        ],
    )


def _money_section(scope: _Scope) -> Section:
    section = Section("geld", "Eingestellte und zurückgeforderte Beträge")
    if _model("outcomes", "AgencyMeasure") is None:
        section.available = False
        section.note = "Maßnahmen werden noch nicht erfasst."
        return section
    measures = _measures_queryset(scope).filter(
        Q(monthly_amount__isnull=False)
        | Q(reclaimed_amount__isnull=False)
        | Q(projected_savings__isnull=False)
    )
    if scope.campaign is not None:  # distinct() above: aggregate over the ids, not the joins
        Measure = _model("outcomes", "AgencyMeasure")
        measures = Measure.objects.filter(pk__in=measures.values("pk"))
    sums = {
        "stopped": Sum("monthly_amount"),
        "reclaimed": Sum("reclaimed_amount"),
        "projected": Sum("projected_savings"),
        "n": Count("pk"),
    }
    by_month = {
        _date_of(row["month"]): row
        for row in measures.order_by().annotate(month=TruncMonth("taken_on")).values("month").annotate(**sums)
    }
    rows = [
        _money_row(_month_label(month), by_month.get(month, {})) for month in _months(scope.start, scope.end)
    ]
    section.tables.append(
        Table(
            "geld_monat",
            "Beträge je Monat",
            "Monat",
            list(_MONEY),
            rows,
            _totals(rows),
            money_columns=(0, 1, 2),
            count_column=3,
            chart_column=0,
        )
    )
    by_agency = measures.order_by().values("agency__name").annotate(**sums).order_by("agency__name")
    rows = [_money_row(row["agency__name"], row) for row in by_agency]
    section.tables.append(
        Table(
            "geld_behoerde",
            "Beträge je Behörde",
            "Behörde",
            list(_MONEY),
            rows,
            _totals(rows) if rows else None,
            money_columns=(0, 1, 2),
            count_column=3,
            chart_column=0,
        )
    )
    section.note = (
        "„eingestellt“: Summe der monatlichen Beträge, deren Zahlung eingestellt wurde; "
        "„prognostizierte Einsparung“: bis zum 18. Geburtstag der Kinder (vorsichtige Schätzung)."
    )
    return section


def school_numbers_delivered() -> set[str] | None:
    """Distinct Schulnummern in the current `schule` snapshot; None when there is none."""
    try:
        snapshot = imports.current_snapshots().get("schule")
    except Exception:
        log.exception("Datenstand der Schulen nicht lesbar")
        return None
    if snapshot is None:
        return None
    return engine.distinct_values(snapshot.path, "Schulnummer")


def _school_list_table(year: int) -> Table | None:
    """The schools of the register, those that took part in `year` first, with the year before."""
    rows = [
        Row(
            f"{entry.school.name} ({entry.school.schulnummer})",
            [
                entry.school.get_schulform_display() or "–",
                "nimmt teil" if entry.this_year else "nimmt nicht teil",
                "nahm teil" if entry.previous_year else "nahm nicht teil",
            ],
        )
        for entry in school_participation_by_year(year)
    ]
    if not rows:
        return None
    taking_part = sum(1 for row in rows if row.values[1] == "nimmt teil")
    return Table(
        "schulen_liste",
        f"Schulen mit und ohne Teilnahme {year} (Vorjahr {year - 1})",
        "Schule (Schulnummer)",
        ["Schulform", str(year), str(year - 1)],
        rows,
        suppress=False,
        chart=False,
        note=f"{taking_part} von {len(rows)} Schulen haben {year} Daten geliefert. Teilnahme: mindestens eine "
        "Lieferung im Kalenderjahr, die in Kraft trat.",
    )


def _schools_section(scope: _Scope) -> Section:
    section = Section("schulen", "Beteiligung der Schulen")
    delivered = school_numbers_delivered()
    if delivered is None:
        section.available = False
        section.note = "Es liegt keine Lieferung der Schulen vor."
        return section
    school_list = _school_list_table(scope.end.year)
    Agency = _model("accounts", "Agency")
    known = set(
        Agency.objects.filter(kind="schule").exclude(schulnummer="").values_list("schulnummer", flat=True)
    )
    total = len(known | delivered)
    rows = [
        Row("Schulen mit Datenlieferung", [len(delivered)]),
        Row("Schulen ohne Datenlieferung", [total - len(delivered)]),
    ]
    share = (Decimal(100) * len(delivered) / total).quantize(Decimal("0.1")) if total else Decimal(0)
    section.tables.append(
        Table(
            "schulen_beteiligung",
            "Schulen mit und ohne Datenlieferung",
            "Schulen",
            ["Anzahl"],
            rows,
            Row("Summe", [total]),
            suppress=False,
            note=f"Beteiligung: {str(share).replace('.', ',')} % der Schulen.",
        )
    )
    if school_list is not None:
        section.tables.append(school_list)
    section.note = (
        "Stand: aktuelle Lieferung der Schulen. Alle Schulen: die in MISSIMO angelegten Schulen mit "
        "Schulnummer und alle Schulen, die geliefert haben."
    )
    return section


def _absence_section(scope: _Scope) -> Section:
    section = Section("schulabsentismus", "Schulabsentismus")
    if scope.campaign is None and scope.run is None:
        section.available = False
        section.note = "Im Zeitraum liegt kein abgeschlossener Abgleich (Stichtag im Zeitraum)."
        return section
    hints = scope.hints().filter(rule=ABSENCE_RULE)
    annotated = _with_status(hints)
    if annotated is not None:
        counts = dict(
            annotated.order_by().values_list("review_status").annotate(n=Count("pk", distinct=True))
        )
        section.tables.append(
            _count_table(
                "schulabsentismus_status",
                "Fälle von Schulabsentismus nach Status",
                "Status",
                counts,
                _hint_status_labels(),
            )
        )
        reasons = Counter(
            code
            for code in annotated.filter(review_status="verworfen").values_list("review_reason", flat=True)
        )
    else:
        section.tables.append(
            Table(
                "schulabsentismus_status",
                "Fälle von Schulabsentismus",
                "Status",
                ["Anzahl"],
                [Row("alle", [hints.count()])],
            )
        )
        reasons = Counter()
    causes: list[Row] = []
    if _model("outcomes", "Outcome") is not None:
        outcomes = _model("outcomes", "Outcome").objects.filter(hint__in=hints.values("pk"))
        outcomes = outcomes.filter(decided_on__gte=scope.start, decided_on__lte=scope.end)
        counts = dict(outcomes.order_by().values_list("result").annotate(n=Count("pk")))
        causes += [Row(f"Ergebnis: {label}", [counts.get(code, 0)]) for code, label in OutcomeResult.choices]
    if _model("casework", "HintReview") is not None:
        causes += [Row(f"verworfen: {label}", [reasons.get(code, 0)]) for code, label in ReviewReason.choices]
    if causes:
        section.tables.append(
            Table(
                "schulabsentismus_ursachen",
                "Ursachen und Ergebnisse",
                "Ursache bzw. Ergebnis",
                ["Anzahl"],
                causes,
                note="Ergebnisse der Behörden und Gründe, aus denen Hinweise verworfen wurden.",
            )
        )
    section.note = (
        f"Hinweise der Regel „{_rule_titles().get(ABSENCE_RULE, ABSENCE_RULE)}“ "
        "(mindestens 20 Schultage in Folge abwesend)."
    )
    return section


def _help_section(scope: _Scope) -> Section:
    """Help beside enforcement (integration, prevention): help needs found at the door, referrals to
    the city's support services, and child-welfare notices and handovers released in the period."""
    section = Section("hilfe", "Hilfe neben der Kontrolle: Hilfebedarf, Vermittlungen, Kinderschutz")
    Household = _model("inspections", "Household")
    Referral = _model("inspections", "Referral")
    Handover = _model("casework", "CaseHandover")
    if Household is None or Referral is None or Handover is None:
        section.available = False
        section.note = "Hilfebedarf und Vermittlungen werden noch nicht erfasst."
        return section
    households = Household.objects.filter(
        visit__status="abgeschlossen",
        visit__completed_at__date__gte=scope.start,
        visit__completed_at__date__lte=scope.end,
    )
    referrals = Referral.objects.filter(created_at__date__gte=scope.start, created_at__date__lte=scope.end)
    handovers = Handover.objects.filter(
        status="freigegeben", decided_at__date__gte=scope.start, decided_at__date__lte=scope.end
    )
    if scope.campaign is not None:
        households = households.filter(visit__inspection__campaign=scope.campaign)
        referrals = referrals.filter(case__campaign=scope.campaign)
        handovers = handovers.filter(case__campaign=scope.campaign)
    needs: Counter = Counter()
    for codes in households.values_list("help_needs", flat=True):
        needs.update(codes or [])
    section.tables.append(
        _count_table(
            "hilfe_bedarf",
            "Festgestellter Hilfebedarf (Wohnungen/Haushalte je Kategorie)",
            "Hilfebedarf",
            dict(needs),
            {code: str(label) for code, label in HelpNeed.choices},
        )
    )
    by_status = dict(referrals.order_by().values_list("status").annotate(n=Count("pk")))
    section.tables.append(
        _count_table(
            "hilfe_vermittlungen",
            "Vermittlungen an Hilfsangebote nach Stand",
            "Stand",
            by_status,
            {code: str(label) for code, label in ReferralStatus.choices},
        )
    )
    by_service = dict(referrals.order_by().values_list("service__name").annotate(n=Count("pk")))
    if by_service:
        section.tables.append(
            _count_table(
                "hilfe_angebote",
                "Vermittlungen je Hilfsangebot",
                "Hilfsangebot",
                by_service,
                {name: name for name in sorted(by_service)},
            )
        )
    by_kind = dict(handovers.order_by().values_list("kind").annotate(n=Count("pk")))
    section.tables.append(
        _count_table(
            "hilfe_abgaben",
            "Freigegebene Mitteilungen und Abgaben (Vier-Augen-Prinzip)",
            "Art",
            by_kind,
            {
                "kindeswohl": "Mitteilungen an das Jugendamt (§ 8a SGB VIII)",
                "staatsanwaltschaft": "Abgaben an die Staatsanwaltschaft",
            },
        )
    )
    section.note = (
        "Hilfebedarf aus den im Zeitraum abgeschlossenen Vor-Ort-Protokollen (Kategorien, keine Diagnosen); "
        "Vermittlungen nach Datum der Erfassung; Mitteilungen und Abgaben nach Datum der Freigabe."
    )
    return section


def _quarter(day: dt.date) -> str:
    return f"{(day.month - 1) // 3 + 1}. Quartal {day.year}"


def _steering_section(scope: _Scope) -> Section:
    """Progress per quarter for the Lenkungskreis: measures and procedure steps recorded at
    properties, and the steering group's decisions on them (by the date of its meeting)."""
    section = Section("lenkungskreis", "Maßnahmen an Objekten und Beschlüsse des Lenkungskreises je Quartal")
    Measure = _model("properties", "Measure")
    if Measure is None:
        section.available = False
        section.note = "Maßnahmen an Objekten werden noch nicht erfasst."
        return section
    pairs: Counter = Counter()
    for day in Measure.objects.filter(date__gte=scope.start, date__lte=scope.end).values_list(
        "date", flat=True
    ):
        pairs[(_quarter(day), "erfasst")] += 1
    for day, decision in Measure.objects.filter(
        steering_date__gte=scope.start, steering_date__lte=scope.end
    ).values_list("steering_date", "steering_decision"):
        pairs[(_quarter(day), decision)] += 1
    quarters = sorted({q for q, _ in pairs}, key=lambda q: (q[-4:], q[0]))
    section.tables.append(
        _matrix_table(
            "lenkungskreis_quartale",
            "Maßnahmen und Beschlüsse je Quartal",
            "Quartal",
            pairs,
            {q: q for q in quarters},
            {"erfasst": "Maßnahmen erfasst", "beschlossen": "beschlossen", "abgelehnt": "abgelehnt"},
        )
    )
    section.note = "Maßnahmen nach ihrem Datum, Beschlüsse nach dem Datum der Sitzung des Lenkungskreises."
    return section


SECTIONS = (
    _properties_section,
    _steering_section,
    _hints_section,
    _cases_section,
    _inspections_section,
    _help_section,
    _outcomes_section,
    _money_section,
    _schools_section,
    _absence_section,
)


def figures_for(period_start: dt.date, period_end: dt.date, campaign=None) -> Figures:
    """All figures for the inclusive period (and campaign, if given). Reads, never writes."""
    if period_end < period_start:
        raise ValueError("Das Ende des Zeitraums liegt vor dem Beginn.")
    run = _run_for(period_start, period_end, campaign)
    scope = _Scope(period_start, period_end, campaign, run)
    sections = []
    for build in SECTIONS:
        try:
            sections.append(build(scope))
        except LookupError:
            log.warning("Abschnitt %s: Modell fehlt", build.__name__)
            sections.append(Section(build.__name__.strip("_"), build.__name__, available=False))
    return Figures(period_start, period_end, campaign, run, sections)


# --- headline figures (the first page of the report) -------------------------------------------

HELP_MEASURES = (MeasureKind.SCHULPFLICHT, MeasureKind.SEU_NACHGEHOLT)


@dataclass(frozen=True)
class Headline:
    """One key figure of the first page: a label, the figure as text and what it counts."""

    key: str
    label: str
    text: str
    explanation: str


def _cell(figures: Figures, table_key: str, row: str, column: str | int = 0) -> Value:
    """A cell of a table of `figures`, or None when the section or row is not available."""
    try:
        return figures.table(table_key).value(row, column)
    except KeyError:
        return None


def _text(value: Value, money: bool = False) -> str:
    return NO_DATA if value is None else cell_text(value, money)


def _per_month(value: Value) -> str:
    return _text(value, money=True) + (" je Monat" if isinstance(value, Decimal) else "")


def properties_visited(figures: Figures) -> Value:
    """Properties with a completed inspection protocol in the period."""
    return _cell(figures, "kontrollen_kennzahlen", "kontrollierte Objekte")


def suspicion_cases(figures: Figures) -> Value:
    """Cases (Prüffälle, i.e. suspicion cases) opened in the period (a campaign: all of its cases)."""
    return _cell(figures, "faelle_status", "Summe")


def payments_stopped(figures: Figures) -> Value:
    """Sum of the monthly payments stopped (€/Monat) by measures taken in the period."""
    return _cell(figures, "geld_monat", "Summe", 0)


def projected_savings(figures: Figures) -> Value:
    """Projected savings (€) of the measures taken in the period."""
    return _cell(figures, "geld_monat", "Summe", 2)


def help_referrals(figures: Figures) -> Value:
    """Measures that lead a child to help rather than to a sanction: school-attendance measures
    (Schulpflichtmaßnahme) and caught-up school-entry examinations (SEU nachgeholt). In the public
    version a suppressed part makes the sum a lower bound ("mehr als n") or "< 10"."""
    try:
        table = figures.table("massnahmen_behoerde")
    except KeyError:
        return None
    if table.total is None:
        return 0
    parts = [table.total.values[table.columns.index(str(kind.label))] for kind in HELP_MEASURES]
    known = sum(v for v in parts if isinstance(v, int))
    if all(isinstance(v, int) for v in parts):
        return known
    return f"mehr als {cell_text(known)}" if known else SUPPRESSED


def school_participation(figures: Figures) -> Value:
    """Share of the schools that delivered data (text such as "12 von 15 Schulen (80,0 %)")."""
    try:
        table = figures.table("schulen_beteiligung")
    except KeyError:
        return None
    delivered, total = table.value("Schulen mit Datenlieferung"), table.value("Summe")
    if not isinstance(delivered, int) or not isinstance(total, int) or not total:
        return None
    share = (Decimal(100) * delivered / total).quantize(Decimal("0.1"))
    return f"{delivered} von {total} Schulen ({str(share).replace('.', ',')} %)"


def headlines(figures: Figures) -> list[Headline]:
    """The key figures of the first page, in the order the council reads them."""
    return [
        Headline(
            "objekte_kontrolliert",
            "Kontrollierte Objekte",
            _text(properties_visited(figures)),
            "Objekte mit abgeschlossenem Kontrollprotokoll",
        ),
        Headline(
            "verdachtsfaelle",
            "Verdachtsfälle (Prüffälle)",
            _text(suspicion_cases(figures)),
            "Prüffälle, die im Zeitraum angelegt wurden",
        ),
        Headline(
            "eingestellt",
            "Eingestellte Zahlungen",
            _per_month(payments_stopped(figures)),
            "Monatliche Leistungen, deren Zahlung eingestellt wurde",
        ),
        Headline(
            "einsparung",
            "Prognostizierte Einsparung",
            _text(projected_savings(figures), money=True),
            "Bis zum 18. Geburtstag der Kinder (vorsichtige Schätzung)",
        ),
        Headline(
            "hilfen",
            "Vermittlungen in Hilfen",
            _text(help_referrals(figures)),
            "Schulpflichtmaßnahmen und nachgeholte Schuleingangsuntersuchungen",
        ),
        Headline(
            "schulen",
            "Beteiligung der Schulen",
            _text(school_participation(figures)),
            "Schulen, die Daten geliefert haben",
        ),
    ]


# --- public version: small-cell suppression ---------------------------------------------------


def _is_small(value: Value) -> bool:
    return isinstance(value, int) and 0 < value < SUPPRESS_BELOW


def _suppress_counts(table: Table) -> Table:
    """Primary: every count from 1 to 9 becomes "< 10" (0 stays: it reveals nobody). Secondary,
    per row: a row with a Summe column and exactly one suppressed cell loses its next smallest
    cell too. Per column: a column with a total and exactly one suppressed cell loses its next
    smallest cell too. Totals are shown only when they are 0 or at least 10."""
    rows = [Row(row.label, list(row.values)) for row in table.rows]
    original = [list(row.values) for row in table.rows]
    hidden = [[_is_small(v) for v in row] for row in original]
    has_sum_column = bool(table.columns) and table.columns[-1] == "Summe"
    value_cols = range(len(table.columns) - (1 if has_sum_column else 0))

    def hide_second(cells: list[tuple[int, int]]) -> bool:
        flagged = [(r, c) for r, c in cells if hidden[r][c]]
        if len(flagged) != 1:
            return False
        open_cells = [(r, c) for r, c in cells if not hidden[r][c] and original[r][c] != 0]
        if not open_cells:
            return False
        r, c = min(open_cells, key=lambda rc: original[rc[0]][rc[1]])
        hidden[r][c] = True
        return True

    changed = True
    while changed:  # repeat until stable: hiding in a row can expose a column and vice versa
        changed = False
        if has_sum_column:
            for r in range(len(rows)):
                changed |= hide_second([(r, c) for c in value_cols])
        if table.total is not None:
            for c in range(len(table.columns)):
                changed |= hide_second([(r, c) for r in range(len(rows))])
    for r, row in enumerate(rows):
        row.values = [SUPPRESSED if hidden[r][c] else v for c, v in enumerate(row.values)]
    total = None
    if table.total is not None:
        total = Row(table.total.label, [SUPPRESSED if _is_small(v) else v for v in table.total.values])
    return replace(table, rows=rows, total=total)


def _suppress_money(table: Table) -> Table:
    """Euro sums resting on fewer than 10 measures are suppressed (with their count); if exactly
    one row is suppressed, the row with the next smallest count is suppressed too, so that the
    total does not reveal it."""
    count = table.count_column
    counts = [row.values[count] for row in table.rows]
    hidden = [_is_small(n) for n in counts]
    if table.total is not None and sum(hidden) == 1:
        others = [i for i, n in enumerate(counts) if not hidden[i] and n]
        if others:
            hidden[min(others, key=lambda i: counts[i])] = True
    rows = [
        Row(row.label, [SUPPRESSED for _ in row.values]) if hide else Row(row.label, list(row.values))
        for row, hide in zip(table.rows, hidden, strict=True)
    ]
    total = table.total
    if total is not None and _is_small(total.values[count]):
        total = Row(total.label, [SUPPRESSED for _ in total.values])
    return replace(table, rows=rows, total=total)


def suppress(table: Table) -> Table:
    if not table.suppress:
        return table
    if table.count_column is not None:
        return _suppress_money(table)
    return _suppress_counts(table)


def public(figures: Figures) -> Figures:
    """The public version: aggregate only, small cells suppressed (see `suppress`)."""
    sections = [replace(s, tables=[suppress(t) for t in s.tables]) for s in figures.sections]
    return replace(figures, sections=sections, public=True)


def cell_text(value: Value, money: bool = False) -> str:
    """German text of a cell: 1.234 or 1.234,50 €; suppressed cells as "< 10"."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if money or isinstance(value, Decimal):
        text = f"{Decimal(value):,.2f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
        return f"{text} €"
    return f"{value:,}".replace(",", ".")


def flatten_rows(table: Table) -> list[list[str]]:
    """Header plus every row as German text (what the page shows)."""
    lines = [table.header]
    for row in table.body():
        label, values = row[0], row[1:]
        lines.append([label, *[cell_text(v, i in table.money_columns) for i, v in enumerate(values)]])
    return lines


__all__ = [
    "Figures",
    "Headline",
    "Row",
    "Section",
    "Table",
    "cell_text",
    "figures_for",
    "flatten_rows",
    "headlines",
    "help_referrals",
    "payments_stopped",
    "projected_savings",
    "properties_visited",
    "public",
    "school_participation",
    "suppress",
    "suspicion_cases",
]
