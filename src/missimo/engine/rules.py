# ruff: noqa: S608  # SQL is composed only from constants of this module; values are bound as parameters
"""The indicator catalogue (`../shared/contract/rules.md`) as data plus SQL.

Every rule is a `Rule`: code, version, German title and legal background, the sources it
needs, the settings it reads, and one or more DuckDB queries. `evaluate(con, stichtag)`
runs the whole catalogue over the snapshot views of a run (``melderegister``,
``kindergeld``, ``schule``, ``jobcenter``, ``seu``, ``objekte``) and the linkage output
(``person_link``, ``address_link``) and returns the hints plus one status per rule.

A rule whose source is missing is reported as *nicht ausgewertet* with the reason; it never
reports zero hints. Same inputs and settings give identical hints in identical order with
identical ids. Nothing here reads nationality, ethnicity, language, religion or name
origin. See ``docs/rules.md`` for each rule's implementation notes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import duckdb

from missimo.engine import sources as source_layouts
from missimo.engine.explain import EXPLAINERS

__all__ = [
    "RULES",
    "SETTINGS",
    "EvaluationResult",
    "Hint",
    "Rule",
    "RuleStatus",
    "Setting",
    "employer_keys",
    "evaluate",
    "hint_id",
    "normalise_employer",
    "resolve_settings",
    "schulpflicht_period",
    "source_label",
]

LINKS = ("person_link", "address_link")
_LINK_LABELS = {"person_link": "Personenabgleich", "address_link": "Adressabgleich"}


def source_label(name: str) -> str:
    """The German name of a source or of a linkage result, for "not evaluated" reasons."""
    layout = source_layouts.SOURCES.get(name)
    return layout.label if layout is not None else _LINK_LABELS.get(name, name)


def _inputs() -> tuple[str, ...]:
    """Every source and linkage result a rule may need, in the catalogue's order."""
    return (*source_layouts.SOURCES, *LINKS)


# Residents of a building as the engine counts them: persons (linked across registrations) with
# their main residence (Wohnungsstatus H) there on the Stichtag. UEBERBELEGUNG and the register's
# resident count (EvaluationResult.residents) both use this one query.
RESIDENTS_SQL = (
    "SELECT objekt_id, count(DISTINCT person_id) AS n FROM _r_reg "
    "WHERE upper(Wohnungsstatus) = 'H' AND objekt_id IS NOT NULL GROUP BY objekt_id"
)


# --- settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """A threshold of the catalogue: default, unit, German label and legal source."""

    key: str
    default: int | Decimal
    unit: str
    label: str
    legal: str
    rules: tuple[str, ...]


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "schulabsentismus_schultage",
        20,
        "Schultage",
        "Mindestzahl der Schultage ohne Anwesenheit",
        "SchulG NRW § 41 (Teilnahmepflicht); MISSIMO: abwesend „länger als vier Wochen am Stück“",
        ("SCHULABSENTISMUS",),
    ),
    Setting(
        "ueberbelegung_m2_je_person",
        Decimal("10"),
        "m²",
        "Mindestwohnfläche je gemeldeter Person (Hauptwohnung)",
        "WohnStG NRW § 10 (mindestens 10 m² Wohnfläche je Person)",
        ("UEBERBELEGUNG",),
    ),
    Setting(
        "fluktuation_min_bewegungen",
        10,
        "An- und Abmeldungen",
        "Mindestzahl der Ein- und Auszüge je Gebäude in 365 Tagen",
        "BMG §§ 17, 19 (An- und Abmeldung, Mitwirkung des Wohnungsgebers)",
        ("MELDE_FLUKTUATION",),
    ),
    Setting(
        "fluktuation_min_je_wohnung",
        Decimal("3"),
        "An- und Abmeldungen je Wohnung",
        "Mindestzahl der Ein- und Auszüge je Wohnung in 365 Tagen (wo Wohneinheiten bekannt)",
        "BMG §§ 17, 19 (An- und Abmeldung, Mitwirkung des Wohnungsgebers)",
        ("MELDE_FLUKTUATION",),
    ),
    Setting(
        "minijob_grenze_eur",
        Decimal("603.00"),
        "€ je Monat",
        "Geringfügigkeitsgrenze (Minijob)",
        "§ 8 Abs. 1a SGB IV (2026: 603 €); Einkommensanrechnung § 11b SGB II",
        ("ARBEITGEBER_HAEUFUNG",),
    ),
    Setting(
        "arbeitgeber_min_personen",
        5,
        "Personen",
        "Mindestzahl Leistungsbeziehender mit Minijob-Einkommen bei einem Arbeitgeber",
        "SGB II §§ 9, 11, 60 (Hilfebedürftigkeit, Einkommen, Auskunftspflicht Dritter)",
        ("ARBEITGEBER_HAEUFUNG",),
    ),
)
_SETTING_BY_KEY = {s.key: s for s in SETTINGS}


def resolve_settings(overrides: Mapping[str, object] | None = None) -> dict[str, int | Decimal]:
    """Defaults overlaid with `overrides`, strictly typed (unknown keys and bad values raise)."""
    values: dict[str, int | Decimal] = {s.key: s.default for s in SETTINGS}
    for key, raw in (overrides or {}).items():
        spec = _SETTING_BY_KEY.get(key)
        if spec is None:
            raise ValueError(f"Unbekannte Einstellung: {key!r}")
        if isinstance(raw, bool) or not isinstance(raw, int | str | Decimal | float):
            raise ValueError(f"Einstellung {key}: ungültiger Wert {raw!r}")
        if isinstance(spec.default, int):
            if isinstance(raw, float | Decimal) and raw != int(raw):
                raise ValueError(f"Einstellung {key}: ganze Zahl erwartet, nicht {raw!r}")
            try:
                value: int | Decimal = int(raw)
            except ValueError as exc:
                raise ValueError(f"Einstellung {key}: ganze Zahl erwartet, nicht {raw!r}") from exc
        else:
            try:
                value = Decimal(str(raw).replace(",", ".")) if isinstance(raw, str) else Decimal(str(raw))
            except InvalidOperation as exc:
                raise ValueError(f"Einstellung {key}: Zahl erwartet, nicht {raw!r}") from exc
        if value < 0:
            raise ValueError(f"Einstellung {key}: darf nicht negativ sein ({raw!r})")
        values[key] = value
    return values


# --- domain helpers (Python twins of the SQL macros, documented and tested) -------------


def schulpflicht_period(birth: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of compulsory schooling in NRW (SchulG NRW §§ 35, 37, 38).

    Starts 1 August of the year the child turns 6 if born on or before 30 September,
    otherwise 1 August of the following year; ends 31 July of the school year
    (1 Aug - 31 Jul) in which the child turns 18.
    """
    start_year = birth.year + 6 + (0 if birth.month <= 9 else 1)
    end_year = birth.year + 18 + (1 if birth.month >= 8 else 0)
    return dt.date(start_year, 8, 1), dt.date(end_year, 7, 31)


# SQL twins of `schulpflicht_period` (tested to agree) and a list helper.
SQL_MACROS: tuple[tuple[str, str], ...] = (
    ("_r_sp_start", "(b) AS make_date(year(b) + 6 + CASE WHEN month(b) <= 9 THEN 0 ELSE 1 END, 8, 1)"),
    ("_r_sp_end", "(b) AS make_date(year(b) + 18 + CASE WHEN month(b) >= 8 THEN 1 ELSE 0 END, 7, 31)"),
    ("_r_nonnull", "(l) AS [x FOR x IN l IF x IS NOT NULL]"),
)


def _spaced(form: str) -> str:
    """``gmbh`` -> a pattern for ``gmbh``, ``g m b h`` (folded ``G.m.b.H.``)."""
    return r"\s*".join(re.escape(ch) for ch in form.replace(" ", ""))


# Legal forms at the end of an employer name (folded, punctuation already blanks), longest
# first, each with its canonical token. The legal form is part of the employer's identity:
# "Brinkmann Bäckerei GmbH" and "Brinkmann Bäckerei e.K." are two different employers.
_LEGAL_FORM_TOKENS: tuple[tuple[str, str], ...] = (
    ("gmbh und co kg", "gmbhcokg"),
    ("gmbh co kg", "gmbhcokg"),
    ("ag und co kg", "agcokg"),
    ("ag co kg", "agcokg"),
    ("ug haftungsbeschraenkt", "ug"),
    ("haftungsbeschraenkt", "ug"),
    ("gmbh", "gmbh"),
    ("mbh", "gmbh"),
    ("kgaa", "kgaa"),
    ("ekfm", "ek"),
    ("ekfr", "ek"),
    ("ek", "ek"),
    ("ev", "ev"),
    ("ohg", "ohg"),
    ("gbr", "gbr"),
    ("kg", "kg"),
    ("ag", "ag"),
    ("ug", "ug"),
    ("se", "se"),
    ("ltd", "ltd"),
    ("limited", "ltd"),
    ("srl", "srl"),
    ("inc", "inc"),
)
_LEGAL_FORM_END = re.compile(
    r"(?:^|[\s-])("
    + "|".join(f"(?P<f{i}>{_spaced(f)})" for i, (f, _) in enumerate(_LEGAL_FORM_TOKENS))
    + r")\s*$"
)


def _employer_parts(name: str | None) -> tuple[str, str]:
    """(stem, legal form token): ``MUELLER-BAU G.m.b.H.`` -> (``muellerbau``, ``gmbh``)."""
    from missimo.engine.normalise import fold

    text = re.sub(r"[^a-z0-9-]+", " ", fold(name or "")).strip()
    legal = ""
    match = _LEGAL_FORM_END.search(text)
    if match:
        group = next(k for k, v in match.groupdict().items() if v is not None)
        legal = _LEGAL_FORM_TOKENS[int(group[1:])][1]
        text = text[: match.start()]
    return re.sub(r"[^a-z0-9]+", "", text), legal


def normalise_employer(name: str | None) -> str:
    """Employer key ``stem|legal form``: case, umlauts, diacritics, blanks, hyphens and dots
    do not matter, the legal form does (canonical: ``G.m.b.H.`` = ``GmbH``).

    ``Müller Bau GmbH``, ``MUELLER-BAU G.m.b.H.`` and ``Müllerbau GmbH`` give ``muellerbau|gmbh``;
    ``Müller Bau e.K.`` gives ``muellerbau|ek``.
    """
    stem, legal = _employer_parts(name)
    return f"{stem}|{legal}" if stem else ""


def employer_keys(names: Iterable[str]) -> dict[str, str]:
    """Key of each employer name; a name without legal form joins the one employer with the
    same stem if exactly one legal form occurs for that stem (``Müller Bau`` = ``Müller Bau GmbH``)."""
    parts = {n: _employer_parts(n) for n in names}
    forms: dict[str, set[str]] = {}
    for stem, legal in parts.values():
        if stem and legal:
            forms.setdefault(stem, set()).add(legal)
    keys = {}
    for name, (stem, legal) in parts.items():
        if not stem:
            keys[name] = ""
            continue
        if not legal and len(forms.get(stem, ())) == 1:
            legal = next(iter(forms[stem]))
        keys[name] = f"{stem}|{legal}"
    return keys


def hint_id(rule: str, primary_ref: str) -> str:
    """Stable id of a hint: derived from the rule code and the primary record only."""
    digest = hashlib.sha256(f"{rule}|{primary_ref}".encode()).hexdigest()[:16].upper()
    return f"H-{digest}"


# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hint:
    """One Prüfhinweis: a reason to look, never a finding."""

    hint_id: str
    rule: str
    rule_version: int
    primary_ref: str
    evidence: tuple[str, ...]  # primary first, `source:key`
    objekt_id: str | None
    address: str | None
    amount: Decimal | None  # euro per month
    person_ids: tuple[str, ...]
    facts: dict[str, Any]  # JSON-ready: dates ISO, money as strings
    explanation: str


@dataclass(frozen=True)
class RuleStatus:
    rule: str
    version: int
    evaluated: bool
    count: int
    reason: str | None = None  # German, when not evaluated
    note: str | None = None  # German, e.g. a part skipped for a missing source

    @property
    def label(self) -> str:
        if self.evaluated:
            return f"{self.rule}: {self.count} {'Hinweis' if self.count == 1 else 'Hinweise'}" + (
                f" ({self.note})" if self.note else ""
            )
        return f"{self.rule}: nicht ausgewertet – {self.reason}"


@dataclass(frozen=True)
class EvaluationResult:
    stichtag: dt.date
    settings: dict[str, int | Decimal]
    hints: tuple[Hint, ...]
    statuses: tuple[RuleStatus, ...]
    rule_versions: dict[str, int] = field(default_factory=dict)
    # Objekt_ID -> residents with main residence on the Stichtag (RESIDENTS_SQL); empty without
    # Melderegister or property register.
    residents: dict[str, int] = field(default_factory=dict)
    # Pairs (unique_id_l, unique_id_r) of the person linkage that joined a Kindergeld child
    # record into a double claim without the margin of a sure join (``KG_DOPPELBEZUG`` did not
    # fire on them): the best linked pair of each such record, for the review sample.
    unsure_double_claims: tuple[tuple[str, str], ...] = ()

    def status(self, rule: str) -> RuleStatus:
        return next(s for s in self.statuses if s.rule == rule)

    def hints_for(self, rule: str) -> list[Hint]:
        return [h for h in self.hints if h.rule == rule]


# --- the catalogue ------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One SQL statement of a rule; `needs` are extra sources only this part requires.

    The statement returns: primary_ref, evidence (VARCHAR[]), objekt_id, adresse, amount,
    person_ids (VARCHAR[]), facts (STRUCT). Parameters: ``$s`` (Stichtag), ``$s_minus_365``
    and the setting keys.
    """

    sql: str
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    code: str
    version: int
    title: str
    background: str
    legal: str
    primary: tuple[str, ...]
    sources: tuple[str, ...]
    queries: tuple[Query, ...]
    settings: tuple[str, ...] = ()


def _refs_cte(pid: str, *srcs: str) -> str:
    """CTE ``ev(person_id, refs)``: the sorted records of the persons in ``hits.{pid}``."""
    names = ", ".join(f"'{s}'" for s in srcs)
    return (
        f"ev AS (SELECT person_id, list_sort(list(DISTINCT ref)) AS refs FROM _r_refs "
        f"WHERE src IN ({names}) AND person_id IN (SELECT {pid} FROM hits) GROUP BY person_id)"
    )


RULES: tuple[Rule, ...] = (
    Rule(
        code="KG_OHNE_SCHULE",
        version=1,
        title="Kindergeld für ein schulpflichtiges Kind ohne Schulanmeldung",
        background=(
            "Kindergeld wird für ein schulpflichtiges Kind gezahlt, das an keiner Schule der Stadt "
            "angemeldet ist (erstes MISSIMO-Kriterium)."
        ),
        legal="§§ 62, 63 EStG (Kindergeld); SchulG NRW §§ 34, 35, 37, 38 (Schulpflicht)",
        primary=("kindergeld",),
        sources=("kindergeld", "schule", "objekte", "person_link"),
        queries=(
            Query(f"""
WITH hits AS (
  SELECT * FROM _r_kg k
  WHERE lower(k.Kind_Wohnsitz) = 'inland' AND k.in_city
    AND _r_sp_start(k.Kind_Geburtsdatum) <= $s AND $s <= _r_sp_end(k.Kind_Geburtsdatum)
    AND NOT EXISTS (SELECT 1 FROM _r_enr e WHERE e.person_id = k.kind_pid)
    AND NOT EXISTS (SELECT 1 FROM _r_enr_near n WHERE n._key = k._key)),
{_refs_cte("kind_pid", "melderegister", "schule")}
SELECT k.ref AS primary_ref, list_concat([k.ref], coalesce(ev.refs, [])) AS evidence,
  k.objekt_id, k.adresse, k.Monatsbetrag AS amount, [k.kind_pid, k.ber_pid] AS person_ids,
  struct_pack(kind_name := k.kind_name, kind_geburtsdatum := k.Kind_Geburtsdatum, geschlecht := x.g,
    zahlung_ab := k.Zahlung_ab, monatsbetrag := k.Monatsbetrag,
    schulpflicht_ab := _r_sp_start(k.Kind_Geburtsdatum), schulpflicht_bis := _r_sp_end(k.Kind_Geburtsdatum),
    kindergeldnummer := k.Kindergeldnummer) AS facts
FROM hits k LEFT JOIN ev ON ev.person_id = k.kind_pid LEFT JOIN _r_sex x ON x.person_id = k.kind_pid
"""),
        ),
    ),
    Rule(
        code="KG_NACH_ABMELDUNG",
        version=1,
        title="Kindergeld nach Abmeldung ins Ausland",
        background=(
            "Kindergeld wird weiter gezahlt, obwohl das Kind oder die berechtigte Person ins Ausland "
            "verzogen oder von Amts wegen abgemeldet ist; ein Kind, das länger als sechs Monate im "
            "Ausland lebt, verliert den Anspruch."
        ),
        legal=(
            "§ 62 Abs. 1, § 63 Abs. 1 Satz 6 EStG (Wohnsitz im Inland), § 68 Abs. 1 EStG (Mitteilungspflicht)"
        ),
        primary=("kindergeld",),
        sources=("kindergeld", "melderegister", "person_link"),
        queries=(
            Query("""
SELECT k.ref AS primary_ref,
  _r_nonnull(list_concat([k.ref], [x FOR x IN [lk.ref, lb.ref] IF x IS NOT NULL])) AS evidence,
  k.objekt_id, k.adresse, k.Monatsbetrag AS amount, [k.kind_pid, k.ber_pid] AS person_ids,
  struct_pack(kind_name := k.kind_name, kind_geburtsdatum := k.Kind_Geburtsdatum,
    berechtigt_name := k.ber_name, zahlung_ab := k.Zahlung_ab, monatsbetrag := k.Monatsbetrag,
    kind_wohnsitz := k.Kind_Wohnsitz,
    kind_auszug := lk.Auszugsdatum, kind_abmeldegrund := lk.Abmeldegrund,
    berechtigt_auszug := lb.Auszugsdatum, berechtigt_abmeldegrund := lb.Abmeldegrund) AS facts
FROM _r_kg k
LEFT JOIN _r_left lk ON lk.person_id = k.kind_pid
LEFT JOIN _r_left lb ON lb.person_id = k.ber_pid
WHERE lk.person_id IS NOT NULL OR lb.person_id IS NOT NULL
"""),
        ),
    ),
    Rule(
        code="KG_KIND_NICHT_GEMELDET",
        version=1,
        title="Kindergeld für ein Kind, das im Melderegister nicht vorkommt",
        background="Kindergeld für ein Kind im Inland, das im Melderegister der Stadt nie gemeldet war.",
        legal="§§ 62, 63 EStG (Kind mit Wohnsitz im Inland); §§ 17, 23 BMG (Meldepflicht)",
        primary=("kindergeld",),
        sources=("kindergeld", "melderegister", "objekte", "person_link"),
        queries=(
            Query(f"""
WITH hits AS (
  SELECT * FROM _r_kg k
  WHERE lower(k.Kind_Wohnsitz) = 'inland' AND k.in_city
    AND NOT EXISTS (SELECT 1 FROM _r_pl p WHERE p.entity = 'melderegister' AND p.person_id = k.kind_pid)),
{_refs_cte("ber_pid", "melderegister")}
SELECT k.ref AS primary_ref, list_concat([k.ref], coalesce(ev.refs, [])) AS evidence,
  k.objekt_id, k.adresse, k.Monatsbetrag AS amount, [k.kind_pid, k.ber_pid] AS person_ids,
  struct_pack(kind_name := k.kind_name, kind_geburtsdatum := k.Kind_Geburtsdatum,
    berechtigt_name := k.ber_name, adresse := k.adresse, zahlung_ab := k.Zahlung_ab,
    monatsbetrag := k.Monatsbetrag) AS facts
FROM hits k LEFT JOIN ev ON ev.person_id = k.ber_pid
"""),
        ),
    ),
    Rule(
        code="KG_DOPPELBEZUG",
        version=1,
        title="Kindergeld für dasselbe Kind unter mehreren Kindergeldnummern",
        background="Für dasselbe Kind wird zum Stichtag unter zwei oder mehr Kindergeldnummern gezahlt.",
        legal="§ 64 Abs. 1 EStG (Kindergeld für jedes Kind nur an einen Berechtigten); § 68 EStG",
        primary=("kindergeld",),
        sources=("kindergeld", "person_link"),
        queries=(
            Query("""
WITH sure AS (
  SELECT k.*, s.p_in, s.w_in - s.w_out AS abstand
  FROM _r_kg k JOIN _r_sure_kg s ON s._key = k._key WHERE s.sure),
multi AS (
  SELECT kind_pid, list_sort(list(DISTINCT Kindergeldnummer)) AS nummern,
    min(p_in) AS p_min, min(abstand) AS abstand_min
  FROM sure GROUP BY kind_pid HAVING count(DISTINCT Kindergeldnummer) >= 2)
SELECT k.ref AS primary_ref,
  list_concat([k.ref], (SELECT list_sort(list(o.ref)) FROM sure o
                        WHERE o.kind_pid = k.kind_pid AND o.ref <> k.ref)) AS evidence,
  k.objekt_id, k.adresse, k.Monatsbetrag AS amount, [k.kind_pid, k.ber_pid] AS person_ids,
  struct_pack(kind_name := k.kind_name, kind_geburtsdatum := k.Kind_Geburtsdatum,
    kindergeldnummer := k.Kindergeldnummer, kindergeldnummern := m.nummern,
    zahlung_ab := k.Zahlung_ab, monatsbetrag := k.Monatsbetrag,
    verknuepfung_wahrscheinlichkeit := round(m.p_min, 6), verknuepfung_abstand_bits := round(m.abstand_min, 2))
    AS facts
FROM sure k JOIN multi m ON m.kind_pid = k.kind_pid
"""),
        ),
    ),
    Rule(
        code="SCHULABSENTISMUS",
        version=1,
        title="Schulabsentismus: lange ununterbrochene Abwesenheit",
        background=(
            "Eine angemeldete Schülerin oder ein angemeldeter Schüler war an mindestens 20 Schultagen "
            "in Folge nicht anwesend (MISSIMO: „länger als vier Wochen am Stück“); auch ein Signal "
            "für Kinderschutz an Schulamt und Jugendamt."
        ),
        legal="SchulG NRW §§ 34, 41 (Schulpflicht, Teilnahmepflicht), § 42 Abs. 6 SchulG NRW (Kindeswohl)",
        primary=("schule",),
        sources=("schule",),
        settings=("schulabsentismus_schultage",),
        queries=(
            Query("""
SELECT s.ref AS primary_ref, [s.ref] AS evidence,
  s.objekt_id, s.adresse, NULL::DECIMAL(12,2) AS amount, [s.person_id] AS person_ids,
  struct_pack(name := s.name, geburtsdatum := s.Geburtsdatum, schulname := s.Schulname, klasse := s.Klasse,
    aufnahmedatum := s.Aufnahmedatum, letzter_anwesenheitstag := s.Letzter_Anwesenheitstag,
    stand := s.Stand, schultage := ce.n - cs.n, schwelle := $schulabsentismus_schultage,
    fehlstunden_unentschuldigt := s.Fehlstunden_unentschuldigt) AS facts
FROM _r_sch s
JOIN _r_cal ce ON ce.d = s.Stand
JOIN _r_cal cs ON cs.d = coalesce(s.Letzter_Anwesenheitstag, s.Aufnahmedatum - 1)
WHERE ce.n - cs.n >= $schulabsentismus_schultage
"""),
        ),
    ),
    Rule(
        code="SCHULE_OHNE_MELDUNG",
        version=1,
        title="Schulanmeldung ohne Meldeadresse in der Stadt",
        background=(
            "Eine Schülerin oder ein Schüler ist mit einer Adresse in der Stadt an einer Schule "
            "angemeldet, aber zum Stichtag weder mit Haupt- noch mit Nebenwohnung gemeldet "
            "(Abschlussbericht Dortmund)."
        ),
        legal="§§ 17, 21, 22 BMG (Meldepflicht, Haupt- und Nebenwohnung); SchulG NRW § 84 (Schulbezirke)",
        primary=("schule",),
        sources=("schule", "melderegister", "objekte", "person_link"),
        queries=(
            Query(f"""
WITH hits AS (
  SELECT * FROM _r_sch s
  WHERE s.in_city AND NOT EXISTS (SELECT 1 FROM _r_reg r WHERE r.person_id = s.person_id)),
{_refs_cte("person_id", "melderegister")}
SELECT s.ref AS primary_ref, list_concat([s.ref], coalesce(ev.refs, [])) AS evidence,
  s.objekt_id, s.adresse, NULL::DECIMAL(12,2) AS amount, [s.person_id] AS person_ids,
  struct_pack(name := s.name, geburtsdatum := s.Geburtsdatum, schulname := s.Schulname,
    aufnahmedatum := s.Aufnahmedatum, adresse := s.adresse, stichtag := $s) AS facts
FROM hits s LEFT JOIN ev ON ev.person_id = s.person_id
"""),
        ),
    ),
    Rule(
        code="SEU_NICHT_ERSCHIENEN",
        version=1,
        title="Schuleingangsuntersuchung versäumt, keine Schule, Kindergeld läuft",
        background=(
            "Ein Kind ist zur Schuleingangsuntersuchung nicht erschienen, ist nach Beginn seines "
            "Einschulungsjahres an keiner Schule angemeldet, und für das Kind wird Kindergeld gezahlt."
        ),
        legal="SchulG NRW § 54 Abs. 2 (Schuleingangsuntersuchung), §§ 35, 41 SchulG NRW; §§ 62, 63 EStG",
        primary=("seu",),
        sources=("seu", "schule", "kindergeld", "person_link"),
        queries=(
            Query("""
WITH kg AS (
  SELECT kind_pid, list_sort(list(ref)) AS refs, sum(Monatsbetrag) AS betrag FROM _r_kg GROUP BY kind_pid)
SELECT v.ref AS primary_ref, list_concat([v.ref], kg.refs) AS evidence,
  v.objekt_id, v.adresse, NULL::DECIMAL(12,2) AS amount, [v.person_id] AS person_ids,
  struct_pack(name := v.name, geburtsdatum := v.Geburtsdatum, einschulungsjahr := v.Einschulungsjahr,
    einladungsdatum := v.Einladungsdatum, stichtag := $s, monatsbetrag := kg.betrag) AS facts
FROM _r_seu v JOIN kg ON kg.kind_pid = v.person_id
WHERE lower(v.Status) = 'nicht erschienen'
  AND make_date(v.Einschulungsjahr, 8, 1) <= $s
  AND NOT EXISTS (SELECT 1 FROM _r_enr e WHERE e.person_id = v.person_id)
"""),
        ),
    ),
    Rule(
        code="UEBERBELEGUNG",
        version=1,
        title="Überbelegung: weniger als 10 m² Wohnfläche je gemeldeter Person",
        background=(
            "Im Gebäude sind mit Hauptwohnung mehr Personen gemeldet, als die Wohnfläche bei "
            "mindestens 10 m² je Person zulässt."
        ),
        legal="WohnStG NRW § 10 (Mindestwohnfläche 10 m² je Person); § 21 BMG (Hauptwohnung)",
        primary=("objekte",),
        sources=("objekte", "melderegister", "address_link", "person_link"),
        settings=("ueberbelegung_m2_je_person",),
        queries=(
            Query(
                """
WITH h AS (
  SELECT objekt_id, person_id, _key FROM _r_reg WHERE upper(Wohnungsstatus) = 'H' AND objekt_id IS NOT NULL),
n AS ("""
                + RESIDENTS_SQL
                + """),
hits AS (
  SELECT o.*, n.n FROM _r_obj o JOIN n ON n.objekt_id = o._key
  WHERE o.Wohnflaeche_m2 IS NOT NULL
    AND CAST($ueberbelegung_m2_je_person AS DOUBLE) * n.n > o.Wohnflaeche_m2),
pers AS (
  SELECT objekt_id, list_sort(list(DISTINCT 'melderegister:' || _key)) AS refs,
    list_sort(list(DISTINCT person_id)) AS pids
  FROM h WHERE objekt_id IN (SELECT _key FROM hits) GROUP BY objekt_id)
SELECT o.ref AS primary_ref, list_concat([o.ref], p.refs) AS evidence, o._key AS objekt_id, o.adresse,
  NULL::DECIMAL(12,2) AS amount, p.pids AS person_ids,
  struct_pack(adresse := o.adresse, stichtag := $s, personen := o.n, wohnflaeche_m2 := o.Wohnflaeche_m2,
    m2_je_person := round(o.Wohnflaeche_m2 / o.n, 1), mindestflaeche_m2 := $ueberbelegung_m2_je_person,
    wohneinheiten := o.Wohneinheiten) AS facts
FROM hits o JOIN pers p ON p.objekt_id = o._key
"""
            ),
        ),
    ),
    Rule(
        code="MELDE_FLUKTUATION",
        version=1,
        title="Auffällig viele An- und Abmeldungen in einem Gebäude",
        background="Viele Einzüge und Auszüge in einem Gebäude innerhalb eines Jahres.",
        legal="§§ 17, 19 BMG (Anmeldung, Wohnungsgeberbestätigung), § 54 BMG (Scheinanmeldung)",
        primary=("objekte",),
        sources=("objekte", "melderegister", "address_link"),
        settings=("fluktuation_min_bewegungen", "fluktuation_min_je_wohnung"),
        queries=(
            Query("""
WITH ev AS (
  SELECT objekt_id, _key, person_id, 1 AS ein, 0 AS aus FROM _r_mr
  WHERE objekt_id IS NOT NULL AND Einzugsdatum > $s_minus_365 AND Einzugsdatum <= $s
  UNION ALL
  SELECT objekt_id, _key, person_id, 0, 1 FROM _r_mr
  WHERE objekt_id IS NOT NULL AND Auszugsdatum > $s_minus_365 AND Auszugsdatum <= $s),
agg AS (
  SELECT objekt_id, count(*) AS n, sum(ein) AS ein, sum(aus) AS aus,
    list_sort(list(DISTINCT 'melderegister:' || _key)) AS refs, list_sort(list(DISTINCT person_id)) AS pids
  FROM ev GROUP BY objekt_id)
SELECT o.ref AS primary_ref, list_concat([o.ref], a.refs) AS evidence, o._key AS objekt_id, o.adresse,
  NULL::DECIMAL(12,2) AS amount, a.pids AS person_ids,
  struct_pack(adresse := o.adresse, stichtag := $s, bewegungen := a.n, einzuege := a.ein, auszuege := a.aus,
    wohneinheiten := o.Wohneinheiten,
    bewegungen_je_wohnung := CASE WHEN o.Wohneinheiten > 0 THEN round(a.n / o.Wohneinheiten, 1) END) AS facts
FROM _r_obj o JOIN agg a ON a.objekt_id = o._key
WHERE a.n >= $fluktuation_min_bewegungen
  AND (o.Wohneinheiten IS NULL OR a.n >= CAST($fluktuation_min_je_wohnung AS DOUBLE) * o.Wohneinheiten)
"""),
        ),
    ),
    Rule(
        code="SGB2_NACH_ABMELDUNG",
        version=1,
        title="Bürgergeld nach Abmeldung ins Ausland",
        background="Leistungen nach dem SGB II laufen weiter, obwohl die Person das Land verlassen hat.",
        legal="§ 7 Abs. 1 Satz 1 Nr. 4 SGB II (gewöhnlicher Aufenthalt in Deutschland), § 7 Abs. 4a SGB II, "
        "§ 60 SGB I (Mitteilungspflicht)",
        primary=("jobcenter",),
        sources=("jobcenter", "melderegister", "person_link"),
        queries=(
            Query("""
SELECT j.ref AS primary_ref, [j.ref, l.ref] AS evidence, j.objekt_id, j.adresse,
  NULL::DECIMAL(12,2) AS amount, [j.person_id] AS person_ids,
  struct_pack(name := j.name, geburtsdatum := j.Geburtsdatum, bg_nummer := j.BG_Nummer,
    leistung_ab := j.Leistung_ab, auszugsdatum := l.Auszugsdatum, abmeldegrund := l.Abmeldegrund) AS facts
FROM _r_jc j JOIN _r_left l ON l.person_id = j.person_id
"""),
        ),
    ),
    Rule(
        code="ARBEITGEBER_HAEUFUNG",
        version=1,
        title="Häufung von Minijobs mit aufstockendem Bürgergeld bei einem Arbeitgeber",
        background=(
            "Bei einem Arbeitgeber arbeiten auffällig viele Leistungsbeziehende mit Einkommen bis zur "
            "Minijob-Grenze (Muster der Scheinbeschäftigung mit aufstockenden Leistungen)."
        ),
        legal="§§ 9, 11, 11b SGB II (Hilfebedürftigkeit, Einkommen), § 60 SGB II (Auskunftspflicht des "
        "Arbeitgebers), § 8 Abs. 1a SGB IV (Geringfügigkeitsgrenze), § 52 SGB II (automatisierter Abgleich)",
        primary=("jobcenter",),
        sources=("jobcenter", "person_link"),
        settings=("minijob_grenze_eur", "arbeitgeber_min_personen"),
        queries=(
            Query("""
WITH mj AS (
  SELECT j.*, e.norm FROM _r_jc j JOIN _r_emp e ON e.arbeitgeber = j.Arbeitgeber
  WHERE e.norm <> '' AND j.Erwerbseinkommen > 0
    AND j.Erwerbseinkommen <= CAST($minijob_grenze_eur AS DECIMAL(12,2))),
grp AS (
  SELECT norm, count(DISTINCT person_id) AS n FROM mj GROUP BY norm
  HAVING count(DISTINCT person_id) >= $arbeitgeber_min_personen)
SELECT m.ref AS primary_ref,
  list_concat([m.ref], (SELECT list_sort(list(o.ref)) FROM mj o WHERE o.norm = m.norm AND o.ref <> m.ref))
    AS evidence,
  m.objekt_id, m.adresse, NULL::DECIMAL(12,2) AS amount, [m.person_id] AS person_ids,
  struct_pack(name := m.name, geburtsdatum := m.Geburtsdatum, arbeitgeber := m.Arbeitgeber,
    arbeitgeber_schluessel := m.norm, erwerbseinkommen := m.Erwerbseinkommen, beschaeftigte := g.n,
    minijob_grenze := CAST($minijob_grenze_eur AS DECIMAL(12,2))) AS facts
FROM mj m JOIN grp g ON g.norm = m.norm
"""),
        ),
    ),
    Rule(
        code="ADRESSE_UNBEKANNT",
        version=1,
        title="Zahlung an eine Adresse ohne Gebäude",
        background=(
            "Kindergeld oder Bürgergeld wird an eine Adresse in der Stadt gezahlt, zu der es im "
            "Gebäudebestand kein Gebäude gibt."
        ),
        legal="§ 68 Abs. 1 EStG, § 60 SGB I (Mitteilungspflichten); §§ 17, 19 BMG (Wohnung als Meldeadresse)",
        primary=("kindergeld", "jobcenter"),
        sources=("objekte", "address_link"),
        queries=(
            Query(
                """
SELECT k.ref AS primary_ref, [k.ref] AS evidence, NULL::VARCHAR AS objekt_id, k.adresse,
  k.Monatsbetrag AS amount, [k.kind_pid, k.ber_pid] AS person_ids,
  struct_pack(quelle := 'kindergeld', name := k.kind_name, geburtsdatum := k.Kind_Geburtsdatum,
    berechtigt_name := k.ber_name, adresse := k.adresse, monatsbetrag := k.Monatsbetrag) AS facts
FROM _r_kg k WHERE k.in_city AND k.objekt_id IS NULL
""",
                needs=("kindergeld",),
            ),
            Query(
                """
SELECT j.ref AS primary_ref, [j.ref] AS evidence, NULL::VARCHAR AS objekt_id, j.adresse,
  NULL::DECIMAL(12,2) AS amount, [j.person_id] AS person_ids,
  struct_pack(quelle := 'jobcenter', name := j.name, geburtsdatum := j.Geburtsdatum,
    adresse := j.adresse, leistung_ab := j.Leistung_ab) AS facts
FROM _r_jc j WHERE j.in_city AND j.objekt_id IS NULL
""",
                needs=("jobcenter",),
            ),
        ),
    ),
)
RULE_BY_CODE = {r.code: r for r in RULES}


def rule_titles() -> dict[str, str]:
    """The German title of every rule of the catalogue, by code (the one place pages, lists,
    exports and reports take rule titles from)."""
    return {rule.code: rule.title for rule in RULES}


_log = logging.getLogger(__name__)


# --- preparation of shared intermediate tables -----------------------------------------

_ADDR = (
    "CASE WHEN {t}.Strasse IS NULL AND {t}.PLZ IS NULL THEN NULL ELSE trim(concat("
    "coalesce({t}.Strasse, ''), ' ', coalesce({t}.Hausnummer, ''), coalesce({t}.Hausnummerzusatz, ''), "
    "', ', coalesce({t}.PLZ, ''), ' ', coalesce({t}.Ort, ''))) END"
)


def _addr(t: str) -> str:
    return _ADDR.format(t=t)


def _available(con: duckdb.DuckDBPyConnection) -> set[str]:
    names = {
        row[0].lower() for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    return {n for n in _inputs() if n in names}


def _dedup(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """The source, reduced to its first file row per key if (against the import's promise) a key repeats."""
    (repeats,) = con.execute(f"SELECT count(*) - count(DISTINCT _key) FROM {source}").fetchall()[0]
    if not repeats:
        return source
    return f"(SELECT * FROM {source} QUALIFY row_number() OVER (PARTITION BY _key ORDER BY _row) = 1)"


#: A Kindergeld child record is *surely* the person it is linked to (``KG_DOPPELBEZUG``) when
#: its best linked pair reaches this match probability, clearly above the linkage threshold ...
SURE_PROBABILITY = 0.95
#: ... and its best pair inside its person beats its best pair with any other candidate (a
#: Melderegister entry or a Kindergeld child of another claim, in another person) by at least
#: this many bits of match weight (odds ratio 2^bits).
SURE_MARGIN_BITS = 5.0


def _sure_kg_sql(con: duckdb.DuckDBPyConnection) -> str:
    """`_r_sure_kg(_key, p_in, w_in, w_out, sure)`: whether each Kindergeld child record is surely
    joined to its person (see ``SURE_PROBABILITY``, ``SURE_MARGIN_BITS``, docs/rules.md).

    Without scored pairs (``person_pair``: a link table given as it is) every link counts as sure.
    Vetoed (``geburtsdatum_sperre``) and rejected pairs are no candidates; nor is another child of
    the same Kindergeldnummer (a claim lists each child once)."""
    names = {
        row[0].lower() for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if "person_pair" not in names or "person_link" not in names:
        return (
            "SELECT _key, NULL::DOUBLE AS p_in, NULL::DOUBLE AS w_in, NULL::DOUBLE AS w_out, TRUE AS sure "
            "FROM _r_kg"
        )
    cols = {c[0] for c in con.execute("DESCRIBE person_pair").fetchall()}
    usable = " AND ".join(
        ["TRUE"]
        + (["NOT coalesce(rejected, FALSE)"] if "rejected" in cols else [])
        + (["NOT coalesce(geburtsdatum_sperre, FALSE)"] if "geburtsdatum_sperre" in cols else [])
    )
    linked = "linked" if "linked" in cols else "match_probability >= 0.5"
    return f"""
WITH pp AS (
  SELECT unique_id_l AS a, unique_id_r AS b, match_probability AS p, match_weight AS w, {linked} AS linked
  FROM person_pair WHERE {usable}
  UNION ALL
  SELECT unique_id_r, unique_id_l, match_probability, match_weight, {linked} FROM person_pair WHERE {usable}),
rec AS (SELECT entity, record_key, entity || ':' || record_key AS uid, person_id FROM person_link),
scored AS (
  SELECT k._key, o.person_id = k.kind_pid AS inside, pp.p, pp.w, pp.linked, o.entity,
    coalesce(ko.Kindergeldnummer = k.Kindergeldnummer, FALSE) AS same_claim
  FROM _r_kg k JOIN pp ON pp.a = 'kindergeld_kind:' || k._key JOIN rec o ON o.uid = pp.b
  LEFT JOIN (SELECT DISTINCT _key, Kindergeldnummer FROM kindergeld) ko
    ON o.entity = 'kindergeld_kind' AND ko._key = o.record_key),
agg AS (
  SELECT _key, max(p) FILTER (WHERE inside AND linked) AS p_in, max(w) FILTER (WHERE inside AND linked) AS w_in,
    max(w) FILTER (WHERE NOT inside AND entity IN ('melderegister', 'kindergeld_kind') AND NOT same_claim)
      AS w_out
  FROM scored GROUP BY _key)
SELECT k._key, a.p_in, a.w_in, a.w_out,
  coalesce(a.p_in >= {SURE_PROBABILITY!r} AND (a.w_out IS NULL OR a.w_in - a.w_out >= {SURE_MARGIN_BITS!r}),
           FALSE) AS sure
FROM _r_kg k LEFT JOIN agg a USING (_key)"""


def _enrolled_namesake_sql(con: duckdb.DuckDBPyConnection, with_schools: bool) -> str:
    """`_r_enr_near(_key)`: Kindergeld child records that a school record enrolled at the Stichtag
    matches with at least ``SURE_PROBABILITY`` although the linkage left the two apart (two
    indistinguishable candidates, e.g. same-named twins with the same birth date: the linkage
    does not guess which school record is whose). A school knows such a child, so
    ``KG_OHNE_SCHULE`` does not fire. Vetoed and rejected pairs do not count."""
    empty = "SELECT NULL::VARCHAR AS _key WHERE false"
    names = {
        row[0].lower() for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if not with_schools or "person_pair" not in names:
        return empty
    cols = {c[0] for c in con.execute("DESCRIBE person_pair").fetchall()}
    if "linked" not in cols:
        return empty
    usable = " AND ".join(
        ["NOT linked", f"match_probability >= {SURE_PROBABILITY!r}"]
        + (["NOT coalesce(rejected, FALSE)"] if "rejected" in cols else [])
        + (["NOT coalesce(geburtsdatum_sperre, FALSE)"] if "geburtsdatum_sperre" in cols else [])
    )
    return f"""
SELECT DISTINCT substr(k, length('kindergeld_kind:') + 1) AS _key FROM (
  SELECT unique_id_l AS k, unique_id_r AS o FROM person_pair WHERE {usable}
  UNION ALL
  SELECT unique_id_r, unique_id_l FROM person_pair WHERE {usable})
WHERE starts_with(k, 'kindergeld_kind:') AND starts_with(o, 'schule:')
  AND substr(o, length('schule:') + 1) IN (SELECT _key FROM _r_sch)"""


def _prepare(
    con: duckdb.DuckDBPyConnection, available: set[str], params: dict[str, Any]
) -> list[tuple[str, str]]:
    """Create the temp tables the rules share; returns (kind, name) for cleanup."""
    created: list[tuple[str, str]] = []

    def table(name: str, sql: str) -> None:
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        started = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", used)
        _log.debug("rules: table %s in %.2f s", name, time.perf_counter() - started)
        created.append(("TABLE", name))

    def macro(name: str, sql: str) -> None:
        con.execute(f"CREATE OR REPLACE TEMP MACRO {name} {sql}")
        created.append(("MACRO", name))

    for name, body in SQL_MACROS:
        macro(name, body)

    if "person_link" in available:
        table(
            "_r_pl",
            "SELECT entity, record_key, person_id FROM person_link",  # one row per record (engine-seams)
        )
    else:
        table(
            "_r_pl",
            "SELECT NULL::VARCHAR AS entity, NULL::VARCHAR AS record_key, NULL::VARCHAR AS person_id "
            "WHERE false",
        )
    if "address_link" in available:
        table(
            "_r_addr",
            "SELECT addr_key, objekt_id, label FROM address_link",  # one row per address (engine-seams)
        )
    else:
        table(
            "_r_addr",
            "SELECT NULL::VARCHAR AS addr_key, NULL::VARCHAR AS objekt_id, NULL::VARCHAR AS label "
            "WHERE false",
        )
    if "objekte" in available:
        table("_r_city", "SELECT DISTINCT trim(PLZ) AS plz FROM objekte WHERE PLZ IS NOT NULL")
        table(
            "_r_obj",
            f"SELECT o.*, 'objekte:' || o._key AS ref, coalesce(a.label, {_addr('o')}) AS adresse "
            f"FROM {_dedup(con, 'objekte')} o LEFT JOIN _r_addr a ON a.addr_key = o._addr_key",
        )
    else:
        table("_r_city", "SELECT NULL::VARCHAR AS plz WHERE false")

    table(
        "_r_refs",
        "SELECT person_id, CASE entity WHEN 'kindergeld_kind' THEN 'kindergeld' ELSE entity END AS src, "
        "CASE entity WHEN 'kindergeld_kind' THEN 'kindergeld' ELSE entity END || ':' || record_key AS ref "
        "FROM _r_pl WHERE entity <> 'kindergeld_berechtigter'",
    )

    def linked(source: str, entity: str, key: str, extra: str) -> str:
        return (
            f"SELECT t.*, '{source}:' || t._key AS ref, "
            f"coalesce(p.person_id, '{entity}:' || {key}) AS person_id, "
            f"a.objekt_id, coalesce(a.label, {_addr('t')}) AS adresse, "
            f"(trim(t.PLZ) IN (SELECT plz FROM _r_city)) AS in_city {extra} "
            f"FROM {_dedup(con, source) if source != 'melderegister' else source} t "
            f"LEFT JOIN _r_pl p ON p.entity = '{entity}' AND p.record_key = {key} "
            f"LEFT JOIN _r_addr a ON a.addr_key = t._addr_key"
        )

    sex_parts = []
    if "melderegister" in available:
        table(
            "_r_mr",
            "SELECT t._key, t._row, t.Einzugsdatum, t.Auszugsdatum, t.Abmeldegrund, t.Wohnungsstatus, "
            "t.Geschlecht, coalesce(p.person_id, 'melderegister:' || t._key) AS person_id, a.objekt_id "
            "FROM melderegister t "
            "LEFT JOIN _r_pl p ON p.entity = 'melderegister' AND p.record_key = t._key "
            "LEFT JOIN _r_addr a ON a.addr_key = t._addr_key",
        )
        table(
            "_r_reg",
            "SELECT * FROM _r_mr WHERE Einzugsdatum <= $s AND (Auszugsdatum IS NULL OR Auszugsdatum > $s)",
        )
        table(
            "_r_left",
            """
WITH latest AS (
  SELECT * FROM _r_mr WHERE Einzugsdatum <= $s
  QUALIFY row_number() OVER (PARTITION BY person_id
                             ORDER BY Einzugsdatum DESC, Auszugsdatum DESC NULLS FIRST, _row DESC) = 1)
SELECT person_id, 'melderegister:' || _key AS ref, Auszugsdatum, Abmeldegrund FROM latest l
WHERE Auszugsdatum < $s AND lower(Abmeldegrund) IN ('wegzug ausland', 'von amts wegen')
  AND NOT EXISTS (SELECT 1 FROM _r_reg r WHERE r.person_id = l.person_id)""",
        )
        sex_parts.append("SELECT person_id, Geschlecht AS g FROM _r_mr")
    if "schule" in available:
        table(
            "_r_sch",
            "SELECT * FROM ("
            + linked("schule", "schule", "t._key", ", concat_ws(' ', t.Vorname, t.Nachname) AS name")
            + ") WHERE Aufnahmedatum <= $s AND (Entlassdatum IS NULL OR Entlassdatum > $s)",
        )
        table("_r_enr", "SELECT DISTINCT person_id FROM _r_sch")
        sex_parts.append("SELECT person_id, Geschlecht AS g FROM _r_sch")
    else:
        table("_r_enr", "SELECT NULL::VARCHAR AS person_id WHERE false")
    if "kindergeld" in available:
        table(
            "_r_kg",
            "SELECT k.*, coalesce(b.person_id, 'kindergeld_berechtigter:' || k.Kindergeldnummer) AS ber_pid "
            "FROM ("
            + linked(
                "kindergeld",
                "kindergeld_kind",
                "t._key",
                ", concat_ws(' ', t.Kind_Vornamen, t.Kind_Familienname) AS kind_name, "
                "concat_ws(' ', t.Berechtigter_Vornamen, t.Berechtigter_Familienname) AS ber_name",
            )
            + ") k LEFT JOIN _r_pl b "
            "ON b.entity = 'kindergeld_berechtigter' AND b.record_key = k.Kindergeldnummer "
            "WHERE k.Zahlung_ab <= $s AND (k.Zahlung_bis IS NULL OR k.Zahlung_bis >= $s)",
        )
        con.execute("ALTER TABLE _r_kg RENAME COLUMN person_id TO kind_pid")
        table("_r_sure_kg", _sure_kg_sql(con))
        table("_r_enr_near", _enrolled_namesake_sql(con, "schule" in available))
    if sex_parts and "kindergeld" in available:  # only the explanations of KG_OHNE_SCHULE use it
        table(
            "_r_sex",
            "SELECT person_id, CASE WHEN count(DISTINCT lower(g)) = 1 THEN min(lower(g)) END AS g FROM ("
            + " UNION ALL ".join(sex_parts)
            + ") WHERE g IS NOT NULL AND person_id IN (SELECT kind_pid FROM _r_kg) GROUP BY person_id",
        )
    else:
        table("_r_sex", "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS g WHERE false")
    if "jobcenter" in available:
        table(
            "_r_jc",
            "SELECT * FROM ("
            + linked(
                "jobcenter", "jobcenter", "t._key", ", concat_ws(' ', t.Vornamen, t.Familienname) AS name"
            )
            + ") WHERE Leistung_ab <= $s AND (Leistung_bis IS NULL OR Leistung_bis >= $s)",
        )
        _prepare_employers(con)
        created.append(("TABLE", "_r_emp"))
    if "seu" in available:
        table(
            "_r_seu",
            linked("seu", "seu", "t._key", ", concat_ws(' ', t.Vornamen, t.Familienname) AS name"),
        )
    return created


def _prepare_employers(con: duckdb.DuckDBPyConnection) -> None:
    """`_r_emp(arbeitgeber, norm)`: each distinct employer spelling and its normalised key."""
    names = sorted(
        r[0]
        for r in con.execute(
            "SELECT DISTINCT Arbeitgeber FROM _r_jc WHERE Arbeitgeber IS NOT NULL"
        ).fetchall()
    )
    keys = employer_keys(names)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _r_emp AS "
        "SELECT unnest($names::VARCHAR[]) AS arbeitgeber, unnest($norms::VARCHAR[]) AS norm",
        {"names": names, "norms": [keys[n] for n in names]},
    )


def _prepare_calendar(con: duckdb.DuckDBPyConnection) -> None:
    """`_r_cal(d, n)`: every day of the needed range, n = number of school days up to d.

    School days come from `calendar_nrw`. Outside the range whose NRW school holidays are
    known, no day is counted (the count is a lower bound): a hint then only fires when the
    absence is proven within the known calendar, never because holidays were unknown.
    """
    import numpy as np

    from missimo.engine.calendar_nrw import school_day_counter

    lo, hi = con.execute(
        "SELECT min(least(coalesce(Letzter_Anwesenheitstag, Aufnahmedatum - 1), Aufnahmedatum - 1, Stand)), "
        "max(greatest(Stand, coalesce(Letzter_Anwesenheitstag, Stand))) FROM _r_sch"
    ).fetchall()[0]
    epoch = dt.date(1970, 1, 1)
    if lo is None or hi is None:
        lo = hi = epoch
    day_numbers = np.arange((lo - epoch).days, (hi - epoch).days + 1, dtype=np.int64)
    first, cumulative = school_day_counter()
    index = np.clip(day_numbers - first + 1, 0, len(cumulative) - 1)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _r_cal AS "
        "SELECT ($lo::DATE + CAST(generate_subscripts($n::BIGINT[], 1) - 1 AS INTEGER)) AS d, "
        "unnest($n::BIGINT[]) AS n",
        {"lo": lo, "n": np.asarray(cumulative)[index].astype("int64").tolist()},
    )


# --- evaluation ---------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or value is None:
        return value
    if kind is dt.date:
        return value.isoformat()
    if kind is Decimal:
        return str(value)
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is list or kind is tuple:
        return [_jsonable(v) for v in value]
    if kind is dict:
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _missing_reason(missing: Sequence[str]) -> str:
    names = ", ".join(source_label(m) for m in missing)
    return f"Es fehlt: {names}."


def _run_rule(
    con: duckdb.DuckDBPyConnection,
    rule: Rule,
    queries: Iterable[Query],
    params: dict[str, Any],
    stichtag: dt.date,
) -> list[Hint]:
    explain = EXPLAINERS[rule.code]
    seen: set[str] = set()
    hints: list[Hint] = []
    for query in queries:
        used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", query.sql)}
        rows = con.execute(query.sql, used).fetchall()
        for primary_ref, evidence, objekt_id, adresse, amount, person_ids, facts in rows:
            if primary_ref in seen:  # one hint per primary record and rule
                continue
            seen.add(primary_ref)
            facts = dict(facts)
            facts.setdefault("stichtag", stichtag)
            hints.append(
                Hint(
                    hint_id=hint_id(rule.code, primary_ref),
                    rule=rule.code,
                    rule_version=rule.version,
                    primary_ref=primary_ref,
                    evidence=tuple(dict.fromkeys(evidence)),
                    objekt_id=objekt_id,
                    address=adresse,
                    amount=amount,
                    person_ids=tuple(dict.fromkeys(p for p in person_ids if p is not None)),
                    facts=_jsonable(facts),
                    explanation=explain(facts),
                )
            )
    hints.sort(key=lambda h: h.primary_ref)
    return hints


def evaluate(
    con: duckdb.DuckDBPyConnection, stichtag: dt.date, settings: Mapping[str, object] | None = None
) -> EvaluationResult:
    """Run the whole catalogue as of `stichtag` over the run's views on `con`."""
    values = resolve_settings(settings)
    available = _available(con)
    params: dict[str, Any] = {"s": stichtag, "s_minus_365": stichtag - dt.timedelta(days=365), **values}
    started = time.perf_counter()
    created = _prepare(con, available, params)
    _log.debug("rules: prepared shared tables in %.2f s", time.perf_counter() - started)
    try:
        hints: list[Hint] = []
        statuses: list[RuleStatus] = []
        for rule in RULES:
            missing = [s for s in rule.sources if s not in available]
            queries = [q for q in rule.queries if all(n in available for n in q.needs)]
            if not missing and not queries:
                missing = sorted({n for q in rule.queries for n in q.needs}, key=_inputs().index)
                reason = "Es fehlt jede der Quellen: " + ", ".join(source_label(m) for m in missing) + "."
                statuses.append(RuleStatus(rule.code, rule.version, False, 0, reason))
                continue
            if missing:
                statuses.append(RuleStatus(rule.code, rule.version, False, 0, _missing_reason(missing)))
                continue
            skipped = [n for q in rule.queries if q not in queries for n in q.needs]
            note = (
                "nur teilweise ausgewertet; es fehlt: " + ", ".join(source_label(m) for m in skipped)
                if skipped
                else None
            )
            if rule.code == "SCHULABSENTISMUS":
                _prepare_calendar(con)
                created.append(("TABLE", "_r_cal"))
            started = time.perf_counter()
            found = _run_rule(con, rule, queries, params, stichtag)
            _log.debug("rules: %s %d hints in %.2f s", rule.code, len(found), time.perf_counter() - started)
            hints.extend(found)
            statuses.append(RuleStatus(rule.code, rule.version, True, len(found), None, note))
        residents = _residents(con, available)
        unsure = _unsure_double_claims(con) if any(name == "_r_sure_kg" for _, name in created) else []
    finally:
        for kind, name in reversed(created):
            con.execute(f"DROP {kind} IF EXISTS {name}")
    return EvaluationResult(
        stichtag=stichtag,
        settings=values,
        hints=tuple(hints),
        statuses=tuple(statuses),
        rule_versions={r.code: r.version for r in RULES},
        residents=residents,
        unsure_double_claims=tuple(unsure),
    )


def _unsure_double_claims(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The linked pairs that put a Kindergeld child record into a double claim (its person has
    children of two or more Kindergeldnummern) although its join is not sure (``_r_sure_kg``):
    for each such record its strongest linked pair inside its person. Empty without scored pairs."""
    names = {
        row[0].lower() for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if "person_pair" not in names or "person_link" not in names:
        return []
    if "linked" not in {c[0] for c in con.execute("DESCRIBE person_pair").fetchall()}:
        return []
    rows = con.execute(
        """
        WITH u AS (SELECT k._key, k.kind_pid, k.Kindergeldnummer, s.sure
                   FROM _r_kg k JOIN _r_sure_kg s ON s._key = k._key),
        multi AS (SELECT kind_pid FROM u GROUP BY kind_pid
                  HAVING count(DISTINCT Kindergeldnummer) >= 2 AND NOT bool_and(sure)),
        unsure AS (SELECT DISTINCT 'kindergeld_kind:' || _key AS uid, kind_pid FROM u
                   WHERE NOT sure AND kind_pid IN (SELECT kind_pid FROM multi)),
        ends AS (SELECT unique_id_l AS uid, unique_id_r AS other, unique_id_l, unique_id_r, match_weight
                 FROM person_pair WHERE linked
                 UNION ALL
                 SELECT unique_id_r, unique_id_l, unique_id_l, unique_id_r, match_weight
                 FROM person_pair WHERE linked),
        cand AS (SELECT un.uid, e.unique_id_l, e.unique_id_r, e.match_weight
                 FROM unsure un JOIN ends e ON e.uid = un.uid
                 JOIN person_link o ON o.entity || ':' || o.record_key = e.other AND o.person_id = un.kind_pid)
        SELECT unique_id_l, unique_id_r FROM cand
        QUALIFY row_number() OVER (PARTITION BY uid ORDER BY match_weight DESC, unique_id_l, unique_id_r) = 1
        ORDER BY unique_id_l, unique_id_r
        """
    ).fetchall()
    return list(dict.fromkeys((str(a), str(b)) for a, b in rows))


def _residents(con: duckdb.DuckDBPyConnection, available: set[str]) -> dict[str, int]:
    """Residents per building (RESIDENTS_SQL), while the shared tables of the rules still exist."""
    if not {"melderegister", "objekte", "address_link"} <= available:
        return {}
    rows = con.execute(RESIDENTS_SQL).fetchall()
    return {str(objekt_id): int(n) for objekt_id, n in rows}
