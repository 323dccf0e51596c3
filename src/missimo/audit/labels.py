"""The audit log in German for people: object types and details as readable text.

The stored entries keep their technical codes (`object_type="hint"`, `details={"names_shown": False}`),
because the hash chain covers them and tools filter by them; everything a person reads (the log page,
its CSV export, the Art. 15 information) goes through `object_type_label` and `details_text`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

OBJECT_TYPES: dict[str, str] = {
    "agency": "Behörde",
    "agency_measure": "Maßnahme einer Behörde",
    "art15_report": "Auskunft nach Art. 15 DSGVO",
    "audit_chain": "Prüfung der Hash-Kette",
    "audit_checkpoint": "Kontrollpunkt des Protokolls (Löschung alter Einträge)",
    "audit_log": "Protokoll",
    "campaign": "Aktionszeitraum",
    "campaign_cases": "Prüffälle eines Aktionszeitraums",
    "case": "Prüffall",
    "case_assignment": "Zuweisung eines Prüffalls",
    "case_handover": "Abgabe eines Prüffalls (Staatsanwaltschaft, Meldung nach § 8a SGB VIII)",
    "case_list": "Liste der Prüffälle",
    "case_outcomes": "Ergebnisse eines Prüffalls",
    "column_mapping": "Spaltenzuordnung einer Lieferung",
    "fairness_report": "Fairnessbericht",
    "hint": "Hinweis",
    "hint_links": "Verknüpfungen eines Hinweises",
    "hint_list": "Liste der Hinweise",
    "hint_queue": "Prüfliste",
    "hint_review": "Sichtung eines Hinweises",
    "import": "Datenlieferung",
    "import_preview": "Vorschau einer Datenlieferung",
    "import_rejected_rows": "Abgelehnte Zeilen einer Datenlieferung",
    "inspection": "Kontrolle",
    "inspection_findings": "Ergebnisse einer Kontrolle",
    "inspection_household": "Wohnung/Haushalt im Kontrollprotokoll",
    "inspection_photo": "Foto einer Kontrolle",
    "inspection_visit": "Kontrollprotokoll",
    "letter": "Schreiben",
    "link_review": "Beurteilung eines Paares der Stichprobe zur Verknüpfungsgüte",
    "link_review_sample": "Stichprobe zur Güte der Personenverknüpfung",
    "letter_list": "Liste der Schreiben",
    "letter_template": "Briefvorlage",
    "outcome": "Ergebnis",
    "outcome_list": "Liste der Ergebnisse",
    "person_link": "Personenverknüpfung",
    "property": "Objekt",
    "property_complaint": "Beschwerde zu einem Objekt",
    "property_owner": "Eigentümer eines Objekts",
    "owner": "Eigentümer",
    "referral": "Vermittlung an ein Hilfeangebot",
    "notification": "Benachrichtigung (E-Mail zu Fristen)",
    "property_list": "Liste der Objekte",
    "property_map": "Karte der Objekte",
    "property_measure": "Maßnahme an einem Objekt",
    "property_outcomes": "Ergebnisse eines Objekts",
    "property_register": "Immobilienkataster",
    "person": "Person",
    "ranking": "Rangfolge der Objekte",
    "recovery_codes": "Wiederherstellungscodes",
    "report": "Bericht",
    "report_dashboard": "Übersicht der Koordinierungsstelle",
    "retention": "Löschfristen",
    "run": "Abgleich",
    "schulbescheinigung": "Schulbescheinigung",
    "schulbescheinigung_liste": "Liste der Schulbescheinigungen",
    "schule_snapshot": "Datenstand der Schule",
    "session": "Sitzung",
    "signing_key": "Signaturschlüssel",
    "totp_device": "Zweiter Faktor (Authenticator-App)",
    "user": "Benutzerkonto",
    "zweiter_faktor": "Zweiter Faktor",
}

DETAIL_KEYS: dict[str, str] = {
    # the linkage review sample (issue #15)
    "stratum": "Schicht der Stichprobe",
    "linked": "verknüpft",
    "label": "Beurteilung",
    "rejected_link": "als abgelehnte Verknüpfung übernommen",
    "link_review_pairs": "Paare der Stichprobe zur Verknüpfungsgüte",
    "agencies": "Behörden",
    "agency": "Behörde",
    "aktionszeitraum": "Aktionszeitraum",
    "art": "Art",
    "assignee": "zugewiesen an",
    "audit_entries": "Protokolleinträge",
    "bis": "bis",
    "campaign": "Aktionszeitraum",
    "case": "Prüffall",
    "case_records": "Prüffälle",
    "cases": "Prüffälle",
    "certificates": "Bescheinigungen",
    "change": "Änderung",
    "changes": "Änderungen",
    "channel": "Weg",
    "checked": "geprüfte Einträge",
    "count": "Anzahl",
    "created": "angelegt",
    "criteria": "Suchkriterien",
    "date": "Datum",
    "decision": "Entscheidung",
    "end": "Ende",
    "entries": "Einträge",
    "expired_current_snapshots": "abgelaufene aktuelle Datenstände",
    "fassung": "Fassung",
    "field": "Feld",
    "fields": "Felder",
    "filter": "Filter",
    "filters": "Filter",
    "findings": "Ergebnisse",
    "first_broken": "erster veränderter Eintrag",
    "format": "Format",
    "from": "von",
    "hint": "Hinweis",
    "hints": "Hinweise",
    "intact": "unverändert",
    "key": "Schlüssel",
    "kind": "Art",
    "letters": "Schreiben",
    "markers": "Markierungen",
    "measures": "Maßnahmen",
    "mine": "nur eigene",
    "monthly_amount": "Betrag je Monat",
    "name": "Name",
    "names_shown": "Namen angezeigt",
    "note": "Bemerkung",
    "objekt_id": "Objekt",
    "objekte": "Objekte",
    "origin": "Anlass",
    "outcomes": "Ergebnisse",
    "page": "Seite",
    "pairs": "Paare",
    "persons": "Personen",
    "projected_savings": "prognostizierte Einsparung",
    "reason": "Grund",
    "recipient": "Empfänger",
    "reclaimed_amount": "zurückgefordert",
    "records": "Datensätze",
    "rejected_files": "Dateien abgelehnter Zeilen",
    "replaced": "ersetzt",
    "result": "Ergebnis",
    "results": "Ergebnisse",
    "revoked": "widerrufen",
    "roles": "Rollen",
    "rule": "Regel",
    "run": "Abgleich",
    "run_directories": "Verzeichnisse von Abgleichen",
    "runs": "Abgleiche",
    "schulnummer": "Schulnummer",
    "sha256": "Prüfsumme (SHA-256)",
    "shown": "angezeigt",
    "signature": "Signatur",
    "size": "Größe",
    "snapshots": "Datenstände",
    "source": "Quelle",
    "source_files": "Quelldateien",
    "start": "Beginn",
    "status": "Status",
    "stichtag": "Stichtag",
    "taken_on": "Datum der Maßnahme",
    "to": "an",
    "updated": "geändert",
    "username": "Benutzername",
    "vanished": "entfallen",
    "version": "Version",
    "visit": "Kontrollprotokoll",
    "von": "von",
    # the filters of the audit log and the lists
    "actor": "Wer",
    "action": "Vorgang",
    "object_type": "Objektart",
    "object_id": "Objekt",
    "purpose": "Zweck",
    "date_from": "von",
    "date_to": "bis",
    # the search criteria of the Art. 15 information
    "ordnungsmerkmal": "Ordnungsmerkmal",
    "familienname": "Familienname",
    "vornamen": "Vornamen",
    "geburtsdatum": "Geburtsdatum",
}

VALUES: dict[str, str] = {
    "gleich": "gleiche Person",
    "verschieden": "verschiedene Personen",
    "intern": "interne Fassung",
    "oeffentlich": "öffentliche Fassung",
    "jahresbericht": "Jahresbericht",
    "abschlussbericht": "Abschlussbericht",
    "uebersicht": "Übersicht",
}

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ISO_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})")


def object_type_label(code: str) -> str:
    """The German name of an object type; an unknown code is shown readable, not hidden."""
    if not code:
        return "–"
    return OBJECT_TYPES.get(code, code.replace("_", " "))


def detail_key_label(key: str) -> str:
    return DETAIL_KEYS.get(key, str(key).replace("_", " "))


def value_text(value: Any) -> str:
    """One value as German text: ja/nein, dates TT.MM.JJJJ, lists with commas, nothing as "–"."""
    if value is None or value == "" or value == [] or value == {}:
        return "–"
    if value is True:
        return "ja"
    if value is False:
        return "nein"
    if isinstance(value, dt.datetime):
        return f"{value:%d.%m.%Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, float | Decimal):
        return f"{value:,.2f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return "(" + details_text(value) + ")"
    if isinstance(value, list | tuple | set):
        return ", ".join(value_text(item) for item in value)
    text = str(value)
    if match := _ISO_DATETIME.match(text):
        year, month, day, hour, minute = match.groups()
        return f"{day}.{month}.{year} {hour}:{minute}"
    if match := _ISO_DATE.match(text):
        year, month, day = match.groups()
        return f"{day}.{month}.{year}"
    return VALUES.get(text, text)


def details_text(details: Any) -> str:
    """The details of an entry as one line of German text: "Namen angezeigt: nein; Seite: 2"."""
    if not details:
        return ""
    if not isinstance(details, dict):
        return value_text(details)
    return "; ".join(f"{detail_key_label(key)}: {value_text(value)}" for key, value in details.items())
