# ruff: noqa: S608  (SQL is built from internal identifiers)
"""Name, date and address normalisation for comparison (display keeps the originals).

Everything here is deterministic and pure. Three layers:

- ``fold(text)``: NFKC, Romanian cedilla letters unified with comma letters, Cyrillic
  transliterated (Bulgarian Streamlined System), German umlauts/ß spelled out
  (ä -> ae, ß -> ss), remaining diacritics removed (ș -> s, ğ -> g, ı -> i), lower case.
  ``Müller`` and ``Mueller`` fold equal; ``Ionuț``/``Ionuţ``/``Ionut`` fold equal.
- ``name_key(text)``: a transliteration-invariant phonetic key on top of ``fold``, so that
  the Streamlined, German (Duden) and French renderings of one Cyrillic name agree:
  ``Иванов``/``Ivanov``/``Iwanow`` -> ``ivanov``; ``Живко``/``Zhivko``/``Schiwko`` ->
  ``xivko``; ``Георги``/``Georgi``/``Gueorgui`` -> ``georgi``.
- ``address_key(...)``: one normalised key per address (``Bahnhofstr.``/``Bahnhof-Straße``/
  ``BAHNHOFSTRASSE`` and ``12a``/``12 a``/``12`` + ``a`` equal), with a DuckDB macro
  (``install_sql_macros``) that computes the same key inside SQL for large tables.

Nationality is never an input of any function here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = [
    "DateParts",
    "address_key",
    "address_label",
    "compare_birth_dates",
    "fold",
    "forename_keys",
    "house_number_key",
    "install_sql_macros",
    "name_key",
    "parse_birth_date",
    "street_key",
    "street_label",
    "surname_keys",
]

# --- folding ---------------------------------------------------------------------------

# Bulgarian Streamlined System (official since 2009; also fine for Russian/Ukrainian).
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "sht", "ъ": "a", "ь": "y", "ю": "yu", "я": "ya",
    "ё": "yo", "ы": "y", "э": "e", "є": "ye", "і": "i", "ї": "yi", "ґ": "g",
}  # fmt: skip

_SPECIAL = {
    "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss",
    "ş": "s", "ș": "s", "ţ": "t", "ț": "t", "ı": "i", "ğ": "g", "ç": "c",
    "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l",
}  # fmt: skip

_FOLD_MAP: dict[str, str | int | None] = {**_CYRILLIC, **_SPECIAL}
_FOLD_TABLE = str.maketrans(_FOLD_MAP)


_ROMANIAN_MAP: dict[str, str | int | None] = {"ş": "ș", "Ş": "Ș", "ţ": "ț", "Ţ": "Ț"}
_ROMANIAN = str.maketrans(_ROMANIAN_MAP)


def unify_romanian(text: str) -> str:
    """NFC text with cedilla ş/ţ (and capitals) replaced by comma-below ș/ț (for display)."""
    text = unicodedata.normalize("NFC", text)
    return text.translate(_ROMANIAN)


@lru_cache(maxsize=200_000)
def fold(text: str | None) -> str:
    """Comparison form: lower case ASCII letters, digits and single blanks/hyphens."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(_FOLD_TABLE)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^a-z0-9\- ]+", " ", text)
    text = re.sub(r"\s*-\s*", "-", text)
    return re.sub(r"\s+", " ", text).strip(" -")


# Ordered rewrite rules of the phonetic key (applied to one folded token, letters only).
_KEY_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r)
    for p, r in [
        (r"schtsch|shcht|stsch|sht", "st"),  # щ: German / Streamlined
        (r"tsch|tch|tsh", "x"),  # ч German / French
        (r"sch|sh|zh|ch|kh", "x"),  # ж ш ч х in the various schemes, German sch
        (r"ph", "f"),
        (r"dt|th", "t"),
        (r"h", "x"),  # х (Hristo) ~ ch (Christo); h is never decisive alone
        (r"gu(?=[eiy])", "g"),  # French Gueorgui
        (r"ou", "u"),  # French ou
        (r"w", "v"),
        (r"ck|q|c", "k"),
        (r"tz|ts|dz|z", "s"),  # ц (ts / German z), з (z / German s)
        (r"ae", "a"),
        (r"oe", "o"),
        (r"ue", "u"),
        (r"[yj]", "i"),  # й я ю: y (Streamlined) / j (German) / i (French)
        (r"ff$", "v"),  # Ivanoff
        (r"(.)\1+", r"\1"),  # double letters
    ]
]


def name_key(text: str | None) -> str:
    """Transliteration-invariant phonetic key of one name (all tokens joined)."""
    tokens = re.split(r"[\s\-]+", fold(text))
    return "".join(_token_key(t) for t in tokens if t)


@lru_cache(maxsize=200_000)
def _token_key(token: str) -> str:
    token = re.sub(r"[^a-z]", "", token)
    for pattern, repl in _KEY_RULES:
        token = pattern.sub(repl, token)
    return token


def _tokens(text: str | None) -> list[str]:
    return [t for t in re.split(r"[\s\-]+", fold(text)) if t]


def forename_keys(vornamen: str | None) -> list[str]:
    """Keys of all first names, in the order given (sort them to compare in any order)."""
    return [k for k in (_token_key(t) for t in _tokens(vornamen)) if k]


_NAME_PARTICLES = {"von", "van", "de", "der", "den", "da", "di", "la", "le", "zu", "al", "el", "bin", "ibn"}


def surname_keys(familienname: str | None, geburtsname: str | None = None) -> list[str]:
    """Keys of every part of a (double) surname and of the birth name, without duplicates.

    ``Müller-Schmidt`` -> ``[mulerxmit, muler, xmit]``: the whole name and each part, so
    that a record with only one part of a double name still shares a key.
    """
    keys: list[str] = []
    for name in (familienname, geburtsname):
        parts = [t for t in _tokens(name) if t not in _NAME_PARTICLES]
        whole = "".join(_token_key(t) for t in parts)
        for k in [whole, *(_token_key(t) for t in parts)] if len(parts) > 1 else [whole]:
            if k and len(k) > 1 and k not in keys:
                keys.append(k)
    return keys


# --- dates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DateParts:
    """A birth date with possibly unknown day/month (``None``)."""

    year: int | None
    month: int | None
    day: int | None

    @property
    def iso(self) -> str | None:
        """``JJJJ-MM-TT`` with ``00`` for unknown parts (melderegister convention)."""
        if self.year is None:
            return None
        return f"{self.year:04d}-{self.month or 0:02d}-{self.day or 0:02d}"


_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})")
_GERMAN = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")


def parse_birth_date(value: object) -> DateParts:
    """Parse ``JJJJ-MM-TT``, ``TT.MM.JJJJ``, ``JJJJMMTT`` or a date; ``00`` = unknown part."""
    if value is None:
        return DateParts(None, None, None)
    if hasattr(value, "year") and hasattr(value, "month") and hasattr(value, "day"):
        return DateParts(int(value.year), int(value.month), int(value.day))
    text = str(value)
    m = _ISO.match(text) or _COMPACT.match(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = _GERMAN.match(text)
        if not m:
            return DateParts(None, None, None)
        d, mo, y = (int(g) for g in m.groups())
    return DateParts(y or None, mo if 1 <= mo <= 12 else None, d if 1 <= d <= 31 else None)


def compare_birth_dates(a: object, b: object) -> str:
    """How two birth dates relate, mirroring the linkage's levels: ``gleich``,
    ``vertauscht`` (day and month swapped), ``vereinbar`` (equal where both are known,
    ``00`` parts), ``fast`` (one part off), ``verschieden`` or ``fehlt``."""
    x, y = parse_birth_date(a), parse_birth_date(b)
    if x.year is None or y.year is None:
        return "fehlt"
    if None not in (x.month, x.day) and (x.year, x.month, x.day) == (y.year, y.month, y.day):
        return "gleich"
    if x.year == y.year and x.month is not None and x.month == y.day and x.day == y.month:
        return "vertauscht"

    def fits(p: int | None, q: int | None) -> bool:
        return p is None or q is None or p == q

    if x.year == y.year and fits(x.month, y.month) and fits(x.day, y.day):
        return "vereinbar"
    if (x.year == y.year and (x.month == y.month or x.day == y.day)) or (
        abs(x.year - y.year) <= 10 and x.month == y.month and x.day == y.day
    ):
        return "fast"
    return "verschieden"


# --- addresses -------------------------------------------------------------------------

_STREET_SUFFIX = re.compile(r"(strasse|str\b\.?|str\.)")
_ABBREVIATIONS = [
    (re.compile(r"\bpl\b\.?"), "platz"),
    (re.compile(r"\bst\b\.?"), "sankt"),
]


def _fold_street(strasse: str | None) -> str:
    return fold(strasse)


def street_key(strasse: str | None) -> str:
    """``Bahnhofstr.``, ``Bahnhofstraße``, ``Bahnhof-Straße``, ``BAHNHOFSTRASSE`` -> ``bahnhofstr``."""
    s = _fold_street(strasse)
    s = _STREET_SUFFIX.sub("str", s)
    for pattern, repl in _ABBREVIATIONS:
        s = pattern.sub(repl, s)
    return re.sub(r"[^a-z0-9]", "", s)


def house_number_key(hausnummer: object, zusatz: object = None) -> str:
    """``12a``, ``12 a``, ``12`` + ``a``, ``12-A`` -> ``12a``; leading zeros dropped."""
    hnr = "" if hausnummer is None else str(hausnummer)
    z = "" if zusatz is None else str(zusatz)
    s = (hnr + z).lower()
    s = re.sub(r"[\s.]+", "", s)
    s = re.sub(r"(?<=\d)-(?=[a-z])", "", s)
    return re.sub(r"^0+(?=\d)", "", s)


def address_key(strasse: str | None, hausnummer: object, zusatz: object, plz: object) -> str | None:
    """Normalised address key ``PLZ|street|number``; ``None`` when no street is given."""
    sk = street_key(strasse)
    if not sk:
        return None
    p = re.sub(r"\D", "", "" if plz is None else str(plz))
    return f"{p}|{sk}|{house_number_key(hausnummer, zusatz)}"


def street_label(strasse: str | None) -> str:
    """Display form: ``BAHNHOFSTRASSE``/``Bahnhofstr.`` -> ``Bahnhofstraße``."""
    s = unify_romanian((strasse or "").strip())
    s = re.sub(r"\s+", " ", s)
    if s.isupper():
        s = s.title()
        s = re.sub(r"(?i)strasse\b", "straße", s)
    s = re.sub(r"(?i)(?<=[a-zäöü])str\.?(?=\s|$)", "straße", s)
    s = re.sub(r"(?i)\bStr\.?(?=\s|$)", "Straße", s)
    s = re.sub(r"(?<=[a-zäöü])strasse\b", "straße", s)
    return s


def address_label(
    strasse: str | None, hausnummer: object, zusatz: object, plz: object, ort: str | None = None
) -> str:
    """Human label like ``Bahnhofstraße 12a, 44623 Herne``."""
    hnr = house_number_key(hausnummer, zusatz)
    first = " ".join(x for x in (street_label(strasse), hnr) if x)
    second = " ".join(x for x in ("" if plz is None else str(plz).strip(), (ort or "").strip()) if x)
    return ", ".join(x for x in (first, second) if x)


# --- the same in DuckDB SQL ------------------------------------------------------------


def _sql_translate_pairs() -> list[tuple[str, str]]:
    pairs = {**_SPECIAL, **_CYRILLIC}
    # multi-letter replacements first; upper case handled by lower() before
    return sorted(pairs.items(), key=lambda kv: -len(kv[1]))


def install_sql_macros(con: object) -> None:
    """Create DuckDB macros ``missimo_fold(s)``, ``missimo_street_key(s)``,
    ``missimo_house_number_key(h, z)`` and ``missimo_address_key(strasse, hnr, zusatz, plz)``
    computing exactly what the Python functions compute (tested on the contract's variants).
    """
    expr = "lower(nfc_normalize(coalesce(s, '')))"
    for src, dst in _sql_translate_pairs():
        expr = f"replace({expr}, '{src}', '{dst}')"
    fold_sql = (
        f"trim(regexp_replace(regexp_replace(regexp_replace(strip_accents({expr}), "
        r"'[^a-z0-9\- ]+', ' ', 'g'), '\s*-\s*', '-', 'g'), '\s+', ' ', 'g'), ' -')"
    )
    street_sql = (
        "regexp_replace(regexp_replace(regexp_replace(regexp_replace(missimo_fold(s), "
        r"'(strasse|str\b\.?|str\.)', 'str', 'g'), '\bpl\b\.?', 'platz', 'g'), "
        r"'\bst\b\.?', 'sankt', 'g'), '[^a-z0-9]', '', 'g')"
    )
    hnr_sql = (
        "regexp_replace(regexp_replace(regexp_replace(lower(coalesce(CAST(h AS VARCHAR), '') "
        r"|| coalesce(CAST(z AS VARCHAR), '')), '[\s.]+', '', 'g'), '(\d)-([a-z])', '\1\2', 'g'), "
        r"'^0+(\d)', '\1')"
    )
    addr_sql = (
        "CASE WHEN missimo_street_key(strasse) = '' THEN NULL ELSE "
        r"regexp_replace(coalesce(CAST(plz AS VARCHAR), ''), '\D', '', 'g') || '|' || "
        "missimo_street_key(strasse) || '|' || missimo_house_number_key(hnr, zusatz) END"
    )
    run = con.execute  # type: ignore[attr-defined]
    run(f"CREATE OR REPLACE MACRO missimo_fold(s) AS {fold_sql}")
    run(f"CREATE OR REPLACE MACRO missimo_street_key(s) AS {street_sql}")
    run(f"CREATE OR REPLACE MACRO missimo_house_number_key(h, z) AS {hnr_sql}")
    run(f"CREATE OR REPLACE MACRO missimo_address_key(strasse, hnr, zusatz, plz) AS {addr_sql}")


def distinct(values: Iterable[str]) -> list[str]:
    """Values in first-seen order without duplicates or empties."""
    out: list[str] = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return out


_KEY_DEFINITION = "missimo_address_key(Strasse, Hausnummer, Hausnummerzusatz, PLZ) AS _addr_key"


def address_keyed_relation(con: Any, rel: str, name: str) -> str:
    """``rel`` with ``_addr_key`` computed once per distinct raw address instead of per row.

    The address key macro is by far the costliest expression of a run (regular expressions
    over every row); the sources repeat each address many times. When ``rel`` has no
    ``_addr_key`` or is a view that computes it with ``missimo_address_key`` from its own
    columns, returns a temp view ``name`` with the same columns whose ``_addr_key`` comes
    from a lookup of the distinct (Strasse, Hausnummer, Hausnummerzusatz, PLZ); otherwise
    ``rel`` itself. Needs ``install_sql_macros``.
    """
    cols = [c[0] for c in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
    lower = {c.lower(): c for c in cols}
    if "strasse" not in lower:
        return rel
    if "_addr_key" in lower:
        views = con.execute(
            "SELECT sql FROM duckdb_views() WHERE view_name = ? AND NOT internal", [rel.strip('"')]
        ).fetchall()
        if len(views) != 1 or _KEY_DEFINITION not in (views[0][0] or ""):
            return rel
    raw = [lower.get(n) for n in ("strasse", "hausnummer", "hausnummerzusatz", "plz")]
    sel = ", ".join(f'"{c}" AS c{i}' if c else f"NULL AS c{i}" for i, c in enumerate(raw))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name}_keys AS SELECT c0, c1, c2, c3, "
        f"missimo_address_key(c0, c1, c2, c3) AS _k FROM (SELECT DISTINCT {sel} FROM {rel})"
    )
    on = " AND ".join(f'r."{c}" IS NOT DISTINCT FROM k.c{i}' for i, c in enumerate(raw) if c)
    exclude = ' EXCLUDE ("' + lower["_addr_key"] + '")' if "_addr_key" in lower else ""
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT r.*{exclude}, k._k AS _addr_key "
        f"FROM {rel} r LEFT JOIN {name}_keys k ON {on}"
    )
    return name
