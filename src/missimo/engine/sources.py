"""The six agency export layouts as data (``../shared/contract/sources.md``).

Each source is a :class:`SourceLayout`: its fields (name, German label, type, required
flag, format), the record key, how duplicates are recognised, and a few row checks
(small plugin objects such as :class:`EndNotBeforeStart`). The reader
(:mod:`missimo.engine.reader`) interprets these objects; nothing in the engine branches
on a source's name.

Public names: :data:`SOURCES`, :func:`person_sources`, :func:`register_source`, :func:`get_source`,
:func:`owner_of`,
:class:`SourceLayout`, :class:`PersonColumns`, :class:`Field`,
:class:`FieldType`, :class:`RowCheck`, :class:`EndNotBeforeStart`, :class:`OnlyWith`.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl


class FieldType(enum.Enum):
    """How a field is parsed and which snapshot type it gets (see docs/engine-seams.md)."""

    TEXT = "text"  # VARCHAR, stripped, empty -> NULL
    DATE = "date"  # DATE; TT.MM.JJJJ or JJJJ-MM-TT
    PARTIAL_DATE = "partial_date"  # VARCHAR JJJJ-MM-TT, `00` allowed for day/month (Melderegister)
    # Months (Kindergeld Zahlung_ab / Zahlung_bis). Accepted: MM.JJJJ, MM/JJJJ, JJJJ-MM,
    # TT.MM.JJJJ and JJJJ-MM-TT (the day is then ignored). MONTH_START is stored as the
    # first day of the month, MONTH_END as the LAST day, so "paid on day S" is simply
    # Zahlung_ab <= S <= coalesce(Zahlung_bis, S) for any day S of a paid month.
    MONTH_START = "month_start"  # DATE, first day of the month
    MONTH_END = "month_end"  # DATE, last day of the month
    INTEGER = "integer"  # INTEGER (int32)
    DECIMAL = "decimal"  # DECIMAL(12,2), at most two decimal places (money)
    DOUBLE = "double"  # DOUBLE


@dataclass(frozen=True)
class Field:
    """One column of a reference layout.

    ``pattern`` is a full-match regular expression (Rust regex syntax, as used by
    polars) checked on the stripped text; ``choices`` is a closed list of values,
    compared case-insensitively and stored in the spelling given here;
    ``min_value``/``max_value`` bound INTEGER/DECIMAL/DOUBLE fields;
    ``format_hint`` is the German description used in error messages.
    """

    name: str
    label: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    format_hint: str = ""
    upper: bool = False  # store upper-cased (codes such as Staatsangehoerigkeit)


class RowCheck(ABC):
    """A check across several fields of one row, evaluated vectorised.

    ``error_expr`` receives the names of the *typed* columns and returns a polars
    expression that is a German message (Utf8) where the row is wrong and NULL
    elsewhere. ``column`` names the field the error is reported on.
    """

    column: str

    @abstractmethod
    def columns(self) -> tuple[str, ...]:
        """The typed fields the check reads."""

    @abstractmethod
    def error_expr(self) -> pl.Expr:
        """A German message where the row is wrong, NULL elsewhere."""


@dataclass(frozen=True)
class EndNotBeforeStart(RowCheck):
    """The end date (``column``) must not lie before the start date (``start``)."""

    column: str
    start: str
    start_label: str
    end_label: str

    def columns(self) -> tuple[str, ...]:
        return (self.start, self.column)

    def error_expr(self) -> pl.Expr:
        import polars as pl

        bad = pl.col(self.column) < pl.col(self.start)
        return (
            pl.when(bad)
            .then(
                pl.concat_str(
                    pl.lit(f"{self.end_label} liegt vor {self.start_label} ("),
                    pl.col(self.start).dt.strftime("%d.%m.%Y"),
                    pl.lit(")"),
                )
            )
            .otherwise(None)
        )


@dataclass(frozen=True)
class OnlyWith(RowCheck):
    """``column`` may only be filled when ``other`` is filled (e.g. Abmeldegrund)."""

    column: str
    other: str
    message: str

    def columns(self) -> tuple[str, ...]:
        return (self.column, self.other)

    def error_expr(self) -> pl.Expr:
        import polars as pl

        bad = pl.col(self.column).is_not_null() & pl.col(self.other).is_null()
        return pl.when(bad).then(pl.lit(self.message)).otherwise(None)


@dataclass(frozen=True)
class PersonColumns:
    """Where one kind of person stands in a source's rows (a source may hold several: the
    Kindergeld export names the entitled parent and the child).

    ``entity`` is the name the linkage gives these records (``person_link.entity``); the
    columns name the surname, the first names and the birth date; ``key`` the fields whose
    values, joined with ``/``, identify the person's record within the source;
    ``distinct_within`` the fields whose equal values mean two records are two different persons
    (pupils of one school, members of one Bedarfsgemeinschaft); empty: every record of the source
    is a different person.
    """

    entity: str
    surname: str
    first_names: str
    birth_date: str
    key: tuple[str, ...]
    distinct_within: tuple[str, ...] = ()


_ADDRESS_COLUMNS = ("Strasse", "Hausnummer", "Hausnummerzusatz", "PLZ", "Ort")


@dataclass(frozen=True)
class SourceLayout:
    """One agency's reference export layout, and everything else MISSIMO knows about the source.

    ``key`` lists the fields that make the record key ``_key`` (joined with ``/``);
    ``duplicate_key`` lists the fields that must be unique within one file (usually
    the key; for the Melderegister, which has one row per registration period,
    Ordnungsmerkmal + Einzugsdatum).

    ``owner`` is the code of the agency kind that delivers the source and owns its records
    (``accounts.policy.AgencyKind``), ``owner_label`` its German name in explanations;
    ``persons`` says where persons stand in a row (empty for the property register);
    ``address`` names the address columns (Straße, Hausnummer, Zusatz, PLZ, Ort).
    From these the reader, the linkage records, the Art. 15 report, the CLI choices, the
    delivery choices and the access policy follow (docs/contributing.md: a seventh source).
    """

    name: str
    label: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    duplicate_key: tuple[str, ...]
    checks: tuple[RowCheck, ...] = ()
    description: str = ""
    owner: str = ""
    owner_label: str = ""
    persons: tuple[PersonColumns, ...] = ()
    address: tuple[str, ...] = _ADDRESS_COLUMNS
    # The field that dates a delivery's data ("Stand"): a delivery older than the one in force is
    # held. Empty: the source has none.
    as_of: str = ""
    # The field naming the unit that delivers part of the source (the Schulnummer), and the one with
    # its name: a delivery in which a unit of the one in force is missing is held. Empty: none.
    delivering_unit: tuple[str, ...] = ()
    _by_name: Mapping[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", MappingProxyType({f.name: f for f in self.fields}))
        for name in (*self.key, *self.duplicate_key):
            assert name in self._by_name, name
        for person in self.persons:
            for name in (
                person.surname,
                person.first_names,
                person.birth_date,
                *person.key,
                *person.distinct_within,
            ):
                assert name in self._by_name, name
        for name in self.address:
            assert name in self._by_name, name

    @property
    def has_persons(self) -> bool:
        return bool(self.persons)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> Field:
        return self._by_name[name]


# --- shared building blocks -------------------------------------------------------------

_GESCHLECHT = ("m", "w", "d", "x")


def _address(required: bool) -> tuple[Field, ...]:
    return (
        Field("Strasse", "Straße", required=required),
        Field("Hausnummer", "Hausnummer", required=required),
        Field("Hausnummerzusatz", "Hausnummerzusatz"),
        Field("PLZ", "Postleitzahl", required=required, pattern=r"\d{5}", format_hint="fünf Ziffern"),
        Field("Ort", "Ort", required=required),
    )


def _date(name: str, label: str, required: bool = False) -> Field:
    return Field(name, label, FieldType.DATE, required=required, format_hint="TT.MM.JJJJ")


def _count(name: str, label: str, required: bool = False, lo: float = 0, hi: float | None = None) -> Field:
    return Field(
        name,
        label,
        FieldType.INTEGER,
        required=required,
        min_value=lo,
        max_value=hi,
        format_hint="ganze Zahl",
    )


MELDEREGISTER = SourceLayout(
    name="melderegister",
    label="Melderegister (Einwohnermeldeamt)",
    description="Eine Zeile je Meldezeitraum einer Person an einer Anschrift.",
    fields=(
        Field("Ordnungsmerkmal", "Ordnungsmerkmal", required=True),
        Field("Familienname", "Familienname", required=True),
        Field("Vornamen", "Vornamen", required=True),
        Field("Geburtsname", "Geburtsname"),
        Field(
            "Geburtsdatum",
            "Geburtsdatum",
            FieldType.PARTIAL_DATE,
            required=True,
            format_hint="TT.MM.JJJJ, 00 für unbekannten Tag/Monat",
        ),
        Field("Geschlecht", "Geschlecht", choices=_GESCHLECHT),
        Field(
            "Staatsangehoerigkeit",
            "Staatsangehörigkeit",
            pattern=r"[A-Z]{2}(,[A-Z]{2})*",
            upper=True,
            format_hint="ISO-Ländercodes, durch Komma getrennt (z. B. DE,RO)",
        ),
        *_address(required=True),
        Field("Wohnung", "Wohnung"),
        Field("Wohnungsstatus", "Wohnungsstatus", required=True, choices=("H", "N")),
        _date("Einzugsdatum", "Einzugsdatum", required=True),
        _date("Auszugsdatum", "Auszugsdatum"),
        Field(
            "Abmeldegrund",
            "Abmeldegrund",
            choices=("Umzug", "Wegzug", "Wegzug Ausland", "von Amts wegen", "Tod"),
        ),
    ),
    key=("Ordnungsmerkmal",),
    duplicate_key=("Ordnungsmerkmal", "Einzugsdatum"),
    checks=(
        EndNotBeforeStart("Auszugsdatum", "Einzugsdatum", "dem Einzugsdatum", "Das Auszugsdatum"),
        OnlyWith("Abmeldegrund", "Auszugsdatum", "Abmeldegrund ist nur mit einem Auszugsdatum zulässig"),
    ),
    owner="einwohnermeldeamt",
    owner_label="Einwohnermeldeamt",
    persons=(
        PersonColumns("melderegister", "Familienname", "Vornamen", "Geburtsdatum", ("Ordnungsmerkmal",)),
    ),
)

KINDERGELD = SourceLayout(
    name="kindergeld",
    label="Kindergeld (Familienkasse)",
    description="Eine Zeile je Kind eines Kindergeldfalls.",
    fields=(
        Field(
            "Kindergeldnummer",
            "Kindergeldnummer",
            required=True,
            pattern=r"\d{3}FK\d{6}",
            upper=True,
            format_hint="3 Ziffern, FK, 6 Ziffern (z. B. 214FK123456)",
        ),
        _count("Kind_Nr", "Kind-Nr.", required=True, lo=1, hi=99),
        Field("Berechtigter_Familienname", "Familienname des Berechtigten", required=True),
        Field("Berechtigter_Vornamen", "Vornamen des Berechtigten", required=True),
        _date("Berechtigter_Geburtsdatum", "Geburtsdatum des Berechtigten", required=True),
        *_address(required=True),
        Field("Kind_Familienname", "Familienname des Kindes", required=True),
        Field("Kind_Vornamen", "Vornamen des Kindes", required=True),
        _date("Kind_Geburtsdatum", "Geburtsdatum des Kindes", required=True),
        Field("Kind_Wohnsitz", "Wohnsitz des Kindes", required=True, choices=("Inland", "Ausland")),
        Field(
            "Zahlung_ab",
            "Zahlung ab",
            FieldType.MONTH_START,
            required=True,
            format_hint="MM.JJJJ oder TT.MM.JJJJ",
        ),
        Field("Zahlung_bis", "Zahlung bis", FieldType.MONTH_END, format_hint="MM.JJJJ oder TT.MM.JJJJ"),
        Field(
            "Monatsbetrag",
            "Monatsbetrag",
            FieldType.DECIMAL,
            required=True,
            min_value=0,
            max_value=1e9,
            format_hint="Betrag in Euro, z. B. 259,00",
        ),
    ),
    key=("Kindergeldnummer", "Kind_Nr"),
    duplicate_key=("Kindergeldnummer", "Kind_Nr"),
    checks=(EndNotBeforeStart("Zahlung_bis", "Zahlung_ab", "dem Zahlungsbeginn", "Zahlung bis"),),
    owner="familienkasse",
    owner_label="Familienkasse",
    persons=(
        PersonColumns(
            "kindergeld_berechtigter",
            "Berechtigter_Familienname",
            "Berechtigter_Vornamen",
            "Berechtigter_Geburtsdatum",
            ("Kindergeldnummer",),
            ("Kindergeldnummer",),
        ),
        PersonColumns(
            "kindergeld_kind",
            "Kind_Familienname",
            "Kind_Vornamen",
            "Kind_Geburtsdatum",
            ("Kindergeldnummer", "Kind_Nr"),
            ("Kindergeldnummer",),
        ),
    ),
)

SCHULE = SourceLayout(
    name="schule",
    label="Schulen (Schulamt)",
    description="Eine Zeile je Aufnahme eines Schülers an einer Schule.",
    fields=(
        Field("Schulnummer", "Schulnummer", required=True, pattern=r"\d{6}", format_hint="sechs Ziffern"),
        Field("Schulname", "Schulname", required=True),
        Field("Schueler_ID", "Schüler-ID", required=True),
        Field("Nachname", "Nachname", required=True),
        Field("Vorname", "Vorname", required=True),
        _date("Geburtsdatum", "Geburtsdatum", required=True),
        Field("Geschlecht", "Geschlecht", choices=_GESCHLECHT),
        *_address(required=False),
        Field("Klasse", "Klasse"),
        _date("Aufnahmedatum", "Aufnahmedatum", required=True),
        _date("Entlassdatum", "Entlassdatum"),
        _date("Letzter_Anwesenheitstag", "Letzter Anwesenheitstag"),
        _count("Fehlstunden_unentschuldigt", "Unentschuldigte Fehlstunden"),
        _date("Stand", "Stand", required=True),
    ),
    key=("Schulnummer", "Schueler_ID"),
    duplicate_key=("Schulnummer", "Schueler_ID"),
    checks=(EndNotBeforeStart("Entlassdatum", "Aufnahmedatum", "dem Aufnahmedatum", "Das Entlassdatum"),),
    as_of="Stand",
    delivering_unit=("Schulnummer", "Schulname"),
    owner="schulamt",
    owner_label="Schulamt",
    persons=(
        PersonColumns(
            "schule", "Nachname", "Vorname", "Geburtsdatum", ("Schulnummer", "Schueler_ID"), ("Schulnummer",)
        ),
    ),
)

JOBCENTER = SourceLayout(
    name="jobcenter",
    label="Jobcenter (SGB II)",
    description="Eine Zeile je Mitglied einer Bedarfsgemeinschaft.",
    fields=(
        Field(
            "BG_Nummer",
            "BG-Nummer",
            required=True,
            pattern=r"\d{5}BG\d{7}",
            upper=True,
            format_hint="5 Ziffern, BG, 7 Ziffern (z. B. 12345BG1234567)",
        ),
        _count("Person_Nr", "Person-Nr.", required=True, lo=1, hi=999),
        Field("Familienname", "Familienname", required=True),
        Field("Vornamen", "Vornamen", required=True),
        _date("Geburtsdatum", "Geburtsdatum", required=True),
        *_address(required=True),
        _date("Leistung_ab", "Leistung ab", required=True),
        _date("Leistung_bis", "Leistung bis"),
        Field("Arbeitgeber", "Arbeitgeber"),
        Field(
            "Erwerbseinkommen",
            "Erwerbseinkommen",
            FieldType.DECIMAL,
            min_value=0,
            max_value=1e9,
            format_hint="Betrag in Euro, z. B. 1.250,00",
        ),
    ),
    key=("BG_Nummer", "Person_Nr"),
    duplicate_key=("BG_Nummer", "Person_Nr"),
    checks=(EndNotBeforeStart("Leistung_bis", "Leistung_ab", "dem Leistungsbeginn", "Leistung bis"),),
    owner="jobcenter",
    owner_label="Jobcenter",
    persons=(
        PersonColumns(
            "jobcenter",
            "Familienname",
            "Vornamen",
            "Geburtsdatum",
            ("BG_Nummer", "Person_Nr"),
            ("BG_Nummer",),
        ),
    ),
)

SEU = SourceLayout(
    name="seu",
    label="Schuleingangsuntersuchung (Gesundheitsamt)",
    description="Eine Zeile je eingeladenem Kind.",
    fields=(
        Field("SEU_ID", "SEU-ID", required=True),
        Field("Familienname", "Familienname", required=True),
        Field("Vornamen", "Vornamen", required=True),
        _date("Geburtsdatum", "Geburtsdatum", required=True),
        Field("Geschlecht", "Geschlecht", choices=_GESCHLECHT),
        *_address(required=True),
        _count("Einschulungsjahr", "Einschulungsjahr", required=True, lo=1900, hi=2100),
        _date("Einladungsdatum", "Einladungsdatum"),
        Field("Status", "Status", required=True, choices=("untersucht", "nicht erschienen", "verzogen")),
    ),
    key=("SEU_ID",),
    duplicate_key=("SEU_ID",),
    owner="gesundheitsamt",
    owner_label="Gesundheitsamt",
    persons=(
        PersonColumns("seu", "Familienname", "Vornamen", "Geburtsdatum", ("SEU_ID",), ("Einschulungsjahr",)),
    ),
)

OBJEKTE = SourceLayout(
    name="objekte",
    label="Objekte (Immobilienkataster)",
    description="Eine Zeile je Wohngebäude.",
    fields=(
        Field("Objekt_ID", "Objekt-ID", required=True),
        *_address(required=True),
        _count("Wohneinheiten", "Wohneinheiten", hi=100_000),
        Field(
            "Wohnflaeche_m2",
            "Wohnfläche (m²)",
            FieldType.DOUBLE,
            min_value=0,
            max_value=1e7,
            format_hint="Zahl, z. B. 245,5",
        ),
        Field("Eigentuemer", "Eigentümer"),
        _count("Baujahr", "Baujahr", lo=1000, hi=2100),
        Field(
            "UTM_Ost", "UTM Ost", FieldType.DOUBLE, min_value=0, max_value=1e7, format_hint="Zahl in Metern"
        ),
        Field(
            "UTM_Nord", "UTM Nord", FieldType.DOUBLE, min_value=0, max_value=1e8, format_hint="Zahl in Metern"
        ),
    ),
    key=("Objekt_ID",),
    duplicate_key=("Objekt_ID",),
    owner="bauaufsicht",
    owner_label="Bauaufsicht/Meldeamt",
)

_REGISTRY: dict[str, SourceLayout] = {
    s.name: s for s in (MELDEREGISTER, KINDERGELD, SCHULE, JOBCENTER, SEU, OBJEKTE)
}

#: All registered layouts by source name: the contract's six in its order, then any registered
#: with :func:`register_source`. A read-only, live view: code that needs the sources asks it when
#: it runs, never copies it at import.
SOURCES: Mapping[str, SourceLayout] = MappingProxyType(_REGISTRY)


def register_source(layout: SourceLayout) -> None:
    """Add a source (a city's seventh register; tests add a toy source). Everything that follows
    from a descriptor (reader, linkage records, Art. 15 search, delivery and CLI choices, the
    owner's right to deliver it) then knows it; rules that read it are added to the catalogue."""
    if layout.name in _REGISTRY:
        raise ValueError(f"Quelle {layout.name!r} ist bereits registriert")
    if not layout.name.isidentifier() or layout.name != layout.name.lower():
        raise ValueError(f"Quellenname {layout.name!r}: nur Kleinbuchstaben, Ziffern und _")
    _REGISTRY[layout.name] = layout


def unregister_source(name: str) -> None:
    """Remove a source added with :func:`register_source` (the contract's six stay)."""
    if name in ("melderegister", "kindergeld", "schule", "jobcenter", "seu", "objekte"):
        raise ValueError(f"Quelle {name!r} gehört zum Vertrag und bleibt")
    _REGISTRY.pop(name, None)


def person_sources() -> tuple[str, ...]:
    """The registered sources that hold persons, in registration order."""
    return tuple(name for name, s in _REGISTRY.items() if s.has_persons)


def owner_of(source: str) -> str:
    """The agency kind code that owns the records of ``source`` ('' if unknown)."""
    layout = SOURCES.get(source)
    return layout.owner if layout is not None else ""


def get_source(name: str) -> SourceLayout:
    """Return the layout of source ``name``; raises ``KeyError`` with the known names."""
    try:
        return SOURCES[name.strip().lower()]
    except KeyError:
        raise KeyError(f"Unbekannte Quelle {name!r}; bekannt: {', '.join(SOURCES)}") from None
