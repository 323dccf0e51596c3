"""German explanation sentences for the hints of the rule catalogue.

One function per rule turns the facts of a hint (a plain dict, the same dict that is stored
with the hint) into one sentence a case worker understands. Dates are written TT.MM.JJJJ,
months MM.JJJJ and money with a decimal comma (``1.234,50 €``). Where the sex of a person is
not known, the phrasing is gender-neutral ("das Kind", "die Person").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Facts = Mapping[str, Any]

__all__ = ["EXPLAINERS", "format_date", "format_money", "format_month", "money_csv"]


def format_date(value: dt.date | None) -> str:
    """``2014-03-04`` -> ``04.03.2014``; unknown -> ``unbekannt``."""
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}" if value is not None else "unbekannt"


def format_month(value: dt.date | None) -> str:
    """``2024-01-01`` -> ``01.2024``."""
    return f"{value.month:02d}.{value.year:04d}" if value is not None else "unbekannt"


def money_csv(value: Decimal | None) -> str:
    """Money for the CSV exports: ``259,00`` (no thousands separator), empty when None."""
    if value is None:
        return ""
    return f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}".replace(".", ",")


def format_money(value: Decimal | None) -> str:
    """Money for sentences: ``1.234,50`` (German thousands dot and decimal comma)."""
    if value is None:
        return "unbekannt"
    q = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{q:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def format_number(value: Decimal | float | int) -> str:
    """A measure with at most one decimal place, decimal comma: ``7,5`` or ``12``."""
    q = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{q:f}"
    if text.endswith(".0"):
        text = text[:-2]
    return text.replace(".", ",")


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def _pronoun(sex: str | None) -> str:
    s = (sex or "").strip().lower()
    return {"m": "er", "w": "sie"}.get(s, "das Kind")


def _person(name: str | None, born: dt.date | None) -> str:
    who = (name or "").strip() or "eine Person ohne Namen"
    return f"{who} (geb. {format_date(born)})"


def _departure(reason: str | None) -> str:
    if (reason or "").strip().lower() == "wegzug ausland":
        return "ins Ausland verzogen"
    return "von Amts wegen abgemeldet worden"


def kg_ohne_schule(f: Facts) -> str:
    return (
        f"Für {_person(f['kind_name'], f['kind_geburtsdatum'])} wird seit {format_month(f['zahlung_ab'])} "
        f"Kindergeld gezahlt ({format_money(f['monatsbetrag'])} €/Monat); {_pronoun(f.get('geschlecht'))} "
        f"ist schulpflichtig, aber an keiner Schule der Stadt angemeldet."
    )


def kg_nach_abmeldung(f: Facts) -> str:
    abroad = (f.get("kind_wohnsitz") or "").strip().lower() == "ausland"
    parts = []
    if f.get("kind_auszug") is not None:
        parts.append(
            f"das Kind am {format_date(f['kind_auszug'])} {_departure(f.get('kind_abmeldegrund'))} ist"
        )
    if f.get("berechtigt_auszug") is not None:
        parts.append(
            f"die kindergeldberechtigte Person {f['berechtigt_name']} am "
            f"{format_date(f['berechtigt_auszug'])} {_departure(f.get('berechtigt_abmeldegrund'))} ist"
        )
    return (
        f"Für {_person(f['kind_name'], f['kind_geburtsdatum'])} wird seit {format_month(f['zahlung_ab'])} "
        f"Kindergeld gezahlt ({format_money(f['monatsbetrag'])} €/Monat), obwohl {' und '.join(parts)} "
        f"und seitdem nicht mehr in der Stadt gemeldet ist"
        + ("; die Familienkasse führt das Kind mit Wohnsitz im Ausland." if abroad else ".")
    )


def kg_kind_nicht_gemeldet(f: Facts) -> str:
    return (
        f"Für {_person(f['kind_name'], f['kind_geburtsdatum'])} wird seit {format_month(f['zahlung_ab'])} "
        f"Kindergeld an {f['berechtigt_name']} in {f['adresse']} gezahlt "
        f"({format_money(f['monatsbetrag'])} €/Monat), aber das Kind ist im Melderegister der Stadt "
        f"nicht zu finden."
    )


def kg_doppelbezug(f: Facts) -> str:
    numbers = ", ".join(f["kindergeldnummern"])
    return (
        f"Für {_person(f['kind_name'], f['kind_geburtsdatum'])} wird zum Stichtag unter "
        f"{len(f['kindergeldnummern'])} Kindergeldnummern ({numbers}) Kindergeld gezahlt; unter "
        f"{f['kindergeldnummer']} seit {format_month(f['zahlung_ab'])} mit "
        f"{format_money(f['monatsbetrag'])} €/Monat.{_sure_join(f)}"
    )


def _sure_join(f: Facts) -> str:
    """How sure the join of the claims is (issue #15): the weakest claim's probability and its
    margin over the best other candidate; empty for a link table without scored pairs."""
    p = f.get("verknuepfung_wahrscheinlichkeit")
    if p is None:
        return ""
    percent = format_number(math.floor(float(p) * 1000) / 10)
    bits = f.get("verknuepfung_abstand_bits")
    if bits is None:
        rival = "ein anderes Kind kommt dafür nicht in Frage"
    elif float(bits) >= 20:
        rival = "jedes andere in Frage kommende Kind ist über eine Million Mal weniger wahrscheinlich"
    else:
        factor = f"{int(2 ** float(bits)):,}".replace(",", ".")
        rival = f"jedes andere in Frage kommende Kind ist mindestens {factor}-mal weniger wahrscheinlich"
    return (
        f" Die Datensätze gehören mit mindestens {percent} % Wahrscheinlichkeit zu demselben Kind; {rival}."
    )


def schulabsentismus(f: Facts) -> str:
    school = f["schulname"] + (f", Klasse {f['klasse']}" if f.get("klasse") else "")
    if f.get("letzter_anwesenheitstag") is not None:
        since = f"nach dem letzten Anwesenheitstag am {format_date(f['letzter_anwesenheitstag'])}"
    else:
        since = f"seit der Aufnahme am {format_date(f['aufnahmedatum'])} (nie anwesend)"
    return (
        f"{_person(f['name'], f['geburtsdatum'])} ist an der Schule {school} angemeldet und hat "
        f"{since} bis zum Stand {format_date(f['stand'])} an {_count(f['schultage'], 'Schultag', 'Schultagen')} "
        f"gefehlt "
        f"(Schwelle: {f['schwelle']} Schultage)."
    )


def schule_ohne_meldung(f: Facts) -> str:
    return (
        f"{_person(f['name'], f['geburtsdatum'])} ist seit {format_date(f['aufnahmedatum'])} an der "
        f"Schule {f['schulname']} mit der Adresse {f['adresse']} angemeldet, ist aber zum Stichtag "
        f"{format_date(f['stichtag'])} in der Stadt weder mit Haupt- noch mit Nebenwohnung gemeldet."
    )


def seu_nicht_erschienen(f: Facts) -> str:
    return (
        f"{_person(f['name'], f['geburtsdatum'])} ist zur Schuleingangsuntersuchung für das "
        f"Einschulungsjahr {f['einschulungsjahr']} nicht erschienen und zum Stichtag "
        f"{format_date(f['stichtag'])} an keiner Schule der Stadt angemeldet, obwohl für das Kind "
        f"Kindergeld gezahlt wird ({format_money(f['monatsbetrag'])} €/Monat)."
    )


def ueberbelegung(f: Facts) -> str:
    return (
        f"Im Gebäude {f['adresse']} sind zum Stichtag {format_date(f['stichtag'])} "
        f"{_count(f['personen'], 'Person', 'Personen')} mit Hauptwohnung gemeldet; bei {format_number(f['wohnflaeche_m2'])} m² "
        f"Wohnfläche sind das {format_number(f['m2_je_person'])} m² je Person "
        f"(mindestens {format_number(f['mindestflaeche_m2'])} m² je Person)."
    )


def melde_fluktuation(f: Facts) -> str:
    flats = ""
    if f.get("wohneinheiten"):
        flats = (
            f"; bei {f['wohneinheiten']} Wohnungen sind das "
            f"{format_number(f['bewegungen_je_wohnung'])} je Wohnung"
        )
    return (
        f"Im Gebäude {f['adresse']} gab es in den 365 Tagen bis zum {format_date(f['stichtag'])} "
        f"{f['bewegungen']} An- und Abmeldungen ({_count(f['einzuege'], 'Einzug', 'Einzüge')}, "
        f"{_count(f['auszuege'], 'Auszug', 'Auszüge')}){flats}."
    )


def sgb2_nach_abmeldung(f: Facts) -> str:
    return (
        f"{_person(f['name'], f['geburtsdatum'])} erhält seit {format_date(f['leistung_ab'])} Leistungen "
        f"nach dem SGB II (Bedarfsgemeinschaft {f['bg_nummer']}), ist aber am "
        f"{format_date(f['auszugsdatum'])} {_departure(f.get('abmeldegrund'))} und seitdem nicht mehr "
        f"in der Stadt gemeldet."
    )


def arbeitgeber_haeufung(f: Facts) -> str:
    return (
        f"{_person(f['name'], f['geburtsdatum'])} erhält Leistungen nach dem SGB II und verdient "
        f"{format_money(f['erwerbseinkommen'])} €/Monat bei {f['arbeitgeber']}; bei diesem Arbeitgeber "
        f"sind {f['beschaeftigte']} Leistungsbeziehende mit einem Einkommen bis zur Minijob-Grenze von "
        f"{format_money(f['minijob_grenze'])} € beschäftigt."
    )


def adresse_unbekannt(f: Facts) -> str:
    if f["quelle"] == "kindergeld":
        return (
            f"Für {_person(f['name'], f['geburtsdatum'])} wird Kindergeld "
            f"({format_money(f['monatsbetrag'])} €/Monat) an {f['berechtigt_name']} unter der Adresse "
            f"{f['adresse']} gezahlt, zu der es im Gebäudebestand der Stadt kein Gebäude gibt."
        )
    return (
        f"{_person(f['name'], f['geburtsdatum'])} erhält seit {format_date(f['leistung_ab'])} Leistungen "
        f"nach dem SGB II unter der Adresse {f['adresse']}, zu der es im Gebäudebestand der Stadt kein "
        f"Gebäude gibt."
    )


EXPLAINERS: dict[str, Callable[[Facts], str]] = {
    "KG_OHNE_SCHULE": kg_ohne_schule,
    "KG_NACH_ABMELDUNG": kg_nach_abmeldung,
    "KG_KIND_NICHT_GEMELDET": kg_kind_nicht_gemeldet,
    "KG_DOPPELBEZUG": kg_doppelbezug,
    "SCHULABSENTISMUS": schulabsentismus,
    "SCHULE_OHNE_MELDUNG": schule_ohne_meldung,
    "SEU_NICHT_ERSCHIENEN": seu_nicht_erschienen,
    "UEBERBELEGUNG": ueberbelegung,
    "MELDE_FLUKTUATION": melde_fluktuation,
    "SGB2_NACH_ABMELDUNG": sgb2_nach_abmeldung,
    "ARBEITGEBER_HAEUFUNG": arbeitgeber_haeufung,
    "ADRESSE_UNBEKANNT": adresse_unbekannt,
}
