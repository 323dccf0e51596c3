"""The access matrix: roles x agencies x data, as data.

This module is the *specification* of need-to-know; the querysets and services of the apps
(`runs.services.hints_for`, `properties.services.properties_for`, `imports.services.sources_for`,
`certificates.services.certificates_for`, ...) *enforce* it, and `tests/app/test_access_matrix.py`
proves that both agree by requesting every URL of the project as every role. The German
description for the city is `docs/datenschutz/zugriffsmatrix.md`; its URL table is generated from
:func:`url_table_markdown` (a test keeps it current).

A new URL name that is missing from :data:`URL_ACCESS` makes the test fail: add it here with the
roles that may open it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from missimo.accounts.roles import Role

K = Role.KOORDINIERUNG
FK = Role.FAMILIENKASSE
JC = Role.JOBCENTER
SA = Role.SCHULAMT
JA = Role.JUGENDAMT
GA = Role.GESUNDHEITSAMT
POL = Role.POLIZEI
BAU = Role.BAUAUFSICHT
SCH = Role.SCHULE
DS = Role.DATENSCHUTZ
ADM = Role.ADMINISTRATION

ALL_ROLES: frozenset[Role] = frozenset(Role)

# --- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HintScope:
    """Which hints a role sees: all, those owned by some agency kinds, or those of some rules."""

    all: bool = False
    agency_kinds: frozenset[str] = frozenset()
    rules: frozenset[str] = frozenset()
    text: str = ""

    def sees(self, agency_kind: str, rule: str) -> bool:
        return self.all or agency_kind in self.agency_kinds or rule in self.rules


NO_HINTS = HintScope(text="keine")

HINTS: dict[Role, HintScope] = {
    K: HintScope(all=True, text="alle Hinweise aller Stellen (koordiniert die Aktionszeiträume)"),
    FK: HintScope(
        agency_kinds=frozenset({"familienkasse"}), text="nur Hinweise der Familienkasse (Kindergeld)"
    ),
    JC: HintScope(agency_kinds=frozenset({"jobcenter"}), text="nur Hinweise des Jobcenters (SGB II)"),
    SA: HintScope(agency_kinds=frozenset({"schulamt"}), text="nur Hinweise des Schulamts (Schulpflicht)"),
    JA: HintScope(
        rules=frozenset({"SCHULABSENTISMUS"}), text="nur Hinweise auf Schulabsentismus (Kindeswohl)"
    ),
    GA: HintScope(
        agency_kinds=frozenset({"gesundheitsamt"}),
        text="nur Hinweise des Gesundheitsamts (Schuleingangsuntersuchung)",
    ),
    BAU: HintScope(
        agency_kinds=frozenset({"bauaufsicht"}), text="nur Hinweise der Bauaufsicht (Überbelegung, Gebäude)"
    ),
    POL: NO_HINTS,
    SCH: NO_HINTS,
    DS: NO_HINTS,
    ADM: NO_HINTS,
}

# Which properties of the Immobilienkataster a role sees.
PROPERTIES_ALL = "alle"
PROPERTIES_OWN_HINTS = "mit eigenen Hinweisen"
PROPERTIES_NONE = "keine"
PROPERTIES: dict[Role, str] = {
    K: PROPERTIES_ALL,
    BAU: PROPERTIES_ALL,
    POL: PROPERTIES_ALL,
    FK: PROPERTIES_OWN_HINTS,
    JC: PROPERTIES_OWN_HINTS,
    SA: PROPERTIES_OWN_HINTS,
    JA: PROPERTIES_OWN_HINTS,
    GA: PROPERTIES_OWN_HINTS,
    SCH: PROPERTIES_NONE,
    DS: PROPERTIES_NONE,
    ADM: PROPERTIES_NONE,
}

# Which person fields a role sees (German, for the documentation).
PERSON_FIELDS: dict[Role, str] = {
    K: "alle Felder der Hinweise (Namen, Geburtsdaten, Belege, Beträge), Eigentümer der Objekte",
    FK: "Felder der eigenen Hinweise (Kind, Geburtsdatum, Kindergeldnummer, Betrag); keine Eigentümer",
    JC: "Felder der eigenen Hinweise (Bedarfsgemeinschaft, Betrag); keine Eigentümer",
    SA: "Felder der eigenen Hinweise (Schüler, Schule, Klasse); keine Eigentümer",
    JA: "Felder der Hinweise auf Schulabsentismus; keine Eigentümer",
    GA: "Felder der eigenen Hinweise (Kind, Untersuchungstermin); keine Eigentümer",
    BAU: "Felder der eigenen Hinweise, Bewohnerzahl und Eigentümer der Objekte",
    POL: "keine Hinweisdaten; Adressen, Bewohnerzahl und Eigentümer der Objekte, Namen erwarteter Personen "
    "im Kontrollprotokoll (Identifizierung vor Ort)",
    SCH: "nur die eigenen Schülerinnen und Schüler (für Schulbescheinigungen)",
    DS: "keine Falldaten; Protokoll, Fairnessbericht und Berichte (nur Summen), Auskunft nach Art. 15 auf "
    "Anfrage",
    ADM: "keine personenbezogenen Daten von Bürgerinnen und Bürgern; nur Benutzerkonten und Schlüssel",
}

# Which deliveries (sources) a role sees and delivers.
DELIVERY_SOURCES: dict[Role, frozenset[str]] = {
    K: frozenset({"melderegister", "kindergeld", "schule", "jobcenter", "seu", "objekte"}),
    FK: frozenset({"kindergeld"}),
    SA: frozenset({"schule"}),
    JC: frozenset({"jobcenter"}),
    GA: frozenset({"seu"}),
    BAU: frozenset({"objekte"}),
}

# Which actions a role may take (German, for the documentation).
ACTIONS: dict[Role, str] = {
    K: "Lieferungen aller Quellen, Abgleich starten, Aktionszeiträume und Prüffälle führen und zuweisen, "
    "Kontrollen planen und abschließen, Schreiben entwerfen und im Vier-Augen-Prinzip freigeben, Objekte "
    "bearbeiten, Übersicht und Berichte",
    FK: "Kindergeld liefern, eigene Hinweise sichten und Ergebnisse erfassen, Prüffälle der eigenen Behörde, "
    "Kontrollen mit eigener Beteiligung, Schulbescheinigungen prüfen",
    JC: "SGB-II-Daten liefern, eigene Hinweise sichten und Ergebnisse erfassen, Prüffälle und Kontrollen der "
    "eigenen Behörde",
    SA: "Schuldaten liefern, eigene Hinweise sichten und Ergebnisse erfassen, Prüffälle und Kontrollen der "
    "eigenen Behörde",
    JA: "Hinweise auf Schulabsentismus sichten und Ergebnisse erfassen, Prüffälle und Kontrollen der eigenen "
    "Behörde",
    GA: "SEU-Daten liefern, eigene Hinweise sichten und Ergebnisse erfassen, Prüffälle und Kontrollen der "
    "eigenen Behörde",
    BAU: "Gebäudebestand liefern, Objekte bearbeiten, Maßnahmen erfassen, eigene Hinweise sichten, Prüffälle "
    "und Kontrollen der eigenen Behörde",
    POL: "Objekte ansehen, Prüffälle und Kontrollen mit eigener Beteiligung (Namen erwarteter Personen vor Ort), "
    "an die Polizei freigegebene Schreiben",
    SCH: "Schulbescheinigungen für eigene Schülerinnen und Schüler ausstellen und widerrufen",
    DS: "Protokoll durchsuchen, exportieren und prüfen; Fairnessbericht; Auskunft nach Art. 15; Berichte "
    "(nur Summen)",
    ADM: "Benutzerkonten und Rollen verwalten (Verwaltungsoberfläche), Signaturschlüssel der Schulen",
}


def sees_hint(role: Role, agency_kind: str, rule: str) -> bool:
    return HINTS.get(role, NO_HINTS).sees(agency_kind, rule)


# --- pages -----------------------------------------------------------------------------------

# What a logged-in role gets for a page it may not open. Outside the scope is "not found"
# (the page does not exist for that role), so nobody learns which objects exist.
NOT_FOUND = 404


@dataclass(frozen=True)
class Page:
    """Who may open one URL name.

    - `roles`: the roles that get the page (HTTP 200, or `ok_status`); all others get `others`.
    - `public`: reachable without log-in; `anonymous` is the status an anonymous GET gets (302 to the
      log-in for every page that is not public).
    - `scope`: the page shows one object, and a role of `roles` gets it only if the object is in
      its scope ("hint", "property", "delivery", "rejected", "certificate"); otherwise 404.
    - `forms`: the page accepts POST (a role outside `roles` is refused with `others`).
    - `ok_status`: per-role status of an allowed GET when it is not 200 (redirect to the role's page,
      405 for POST-only pages).
    - `others_get`: what a GET of a refused role gets, if not `others` (405 for POST-only pages).
    - `exact`: the allowed roles get exactly `ok_status`/200 (False: any answer below 500, e.g. the
      administration's pages, which answer 403 for models without the permission).
    - `data`: what the page shows (German, for the documentation).
    """

    roles: frozenset[Role]
    data: str
    others: int = NOT_FOUND
    public: bool = False
    scope: str = ""
    forms: bool = False
    ok_status: dict[Role, int] = field(default_factory=dict)
    anonymous: int = 302
    others_get: int | None = None
    exact: bool = True

    def expected(self, role: Role | None) -> int:
        """The status a GET gets from a user of `role` (None: anonymous)."""
        if role is None:
            return self.anonymous
        if role in self.roles:
            return self.ok_status.get(role, 200)
        return self.others if self.others_get is None else self.others_get


def _page(roles, data: str, **kwargs) -> Page:
    if kwargs.get("public"):
        kwargs.setdefault("anonymous", 200)
    return Page(roles=frozenset(roles), data=data, **kwargs)


HINT_ROLES = (K, FK, JC, SA, JA, GA, BAU)
REGISTER_ROLES = (K, BAU, POL, FK, JC, SA, JA, GA)
EDIT_ROLES = (K, BAU)
DELIVERY_ROLES = tuple(DELIVERY_SOURCES)
POST_ONLY = 405
CASE_ROLES = (K, FK, JC, SA, JA, GA, POL, BAU)
INSPECTION_ROLES = (K, POL, BAU, JA, GA, JC, FK, SA)
LETTER_ROLES = (K, FK, JC, SA, JA, GA, BAU, POL)


def _everybody(data: str, **kwargs) -> Page:
    return _page(ALL_ROLES, data, **kwargs)


URL_ACCESS: dict[str, Page] = {
    # web, log-in, second factor
    "start": _everybody("Startseite: eigene Behörde und Rollen"),
    "accessibility": _everybody("Erklärung zur Barrierefreiheit", public=True),
    "set_language": _everybody(
        "Sprache der Oberfläche wählen (Cookie; nur POST ändert etwas)",
        public=True,
        anonymous=302,
        forms=True,
        ok_status=dict.fromkeys(ALL_ROLES, 302),
    ),
    "login": _everybody(
        "Anmeldung", public=True, forms=True, ok_status=dict.fromkeys(ALL_ROLES, 302)
    ),  # already logged in: on to the start page
    "logout": _everybody("Abmeldung (nur POST)", forms=True, ok_status=dict.fromkeys(ALL_ROLES, POST_ONLY)),
    "two_factor_enrol": _everybody("Einrichtung des zweiten Faktors (eigenes Konto)", forms=True),
    "two_factor_verify": _everybody(
        "Code-Eingabe des zweiten Faktors (ohne Gerät: weiter zur Einrichtung)",
        forms=True,
        ok_status=dict.fromkeys(ALL_ROLES, 302),
    ),
    "two_factor_recovery_codes": _everybody(
        "Wiederherstellungscodes des eigenen Kontos neu erzeugen", forms=True
    ),
    # deliveries
    "imports:list": _page(DELIVERY_ROLES, "Lieferungen der eigenen Quellen (Metadaten, keine Zeilen)"),
    "imports:export": _page(
        DELIVERY_ROLES, "Export der Lieferungen der eigenen Quellen (Metadaten; CSV/XLSX, formelsicher)"
    ),
    "imports:new": _page((K, FK), "Neue Lieferung einer eigenen Quelle (hier: Kindergeld)", forms=True),
    "imports:detail": _page(
        DELIVERY_ROLES,
        "Eine Lieferung einer eigenen Quelle; abgelehnte Zeilen nur liefernde Stelle",
        scope="delivery",
    ),
    "imports:rejected": _page(
        (K, FK), "Abgelehnte Zeilen (personenbezogen): liefernde Behörde und Koordinierung", scope="rejected"
    ),
    "imports:mapping": _page(
        (K, FK),
        "Spaltenzuordnung mit Vorschau der Datei: liefernde Behörde und Koordinierung",
        scope="rejected",
        forms=True,
    ),
    # runs and hints
    "runs:list": _page(HINT_ROLES, "Abgleiche (Zählwerte); starten nur Koordinierung", forms=True),
    "runs:export": _page(HINT_ROLES, "Export der Abgleichsliste (Zählwerte; CSV/XLSX, formelsicher)"),
    "runs:detail": _page(HINT_ROLES, "Ein Abgleich (Zählwerte je Regel); Rangliste nur Koordinierung"),
    "runs:hints": _page(HINT_ROLES, "Hinweise im eigenen Zuständigkeitsbereich (siehe Hinweise je Rolle)"),
    "runs:hint_export": _page(
        HINT_ROLES, "Export der sichtbaren Hinweise (CSV/XLSX, formelsicher, protokolliert)"
    ),
    "runs:links": _page(
        HINT_ROLES,
        "„Warum verknüpft?“: Datensätze der Personen eines sichtbaren Hinweises",
        scope="hint",
        forms=True,
    ),
    "runs:rules": _everybody("Regelkatalog (öffentlich bekannt, keine Personendaten)"),
    # property register
    "properties:list": _page(REGISTER_ROLES, "Objekte im Zuständigkeitsbereich (siehe Objekte je Rolle)"),
    "properties:export_csv": _page(REGISTER_ROLES, "Export der sichtbaren Objekte (CSV, formelsicher)"),
    "properties:export_xlsx": _page(REGISTER_ROLES, "Export der sichtbaren Objekte (XLSX, formelsicher)"),
    "properties:map_data": _page(REGISTER_ROLES, "Kartenpunkte der sichtbaren Objekte"),
    "properties:detail": _page(REGISTER_ROLES, "Objektakte mit den sichtbaren Hinweisen", scope="property"),
    "properties:edit": _page(
        EDIT_ROLES, "Fallbearbeitung eines Objekts ändern", scope="property", forms=True
    ),
    "properties:measure_add": _page(
        EDIT_ROLES, "Maßnahme an einem Objekt erfassen", scope="property", forms=True
    ),
    # certificates
    "certificates:index": _page(
        (SCH, FK, ADM),
        "Bescheinigungen der eigenen Schule (Familienkasse und Administration: weiter zu ihrer Seite)",
        ok_status={FK: 302, ADM: 302},
    ),
    "certificates:export": _page(
        (SCH,), "Export der Bescheinigungen der eigenen Schule (CSV/XLSX, formelsicher, protokolliert)"
    ),
    "certificates:issue": _page((SCH,), "Schülersuche der eigenen Schule, Ausstellen", forms=True),
    "certificates:manual": _page((SCH,), "Ausstellen aus eingegebenen Daten", forms=True),
    "certificates:verify": _page((FK,), "Prüfen einer vorgelegten Bescheinigung", forms=True),
    "certificates:keys": _page((ADM,), "Signaturschlüssel der Schulen (keine Personendaten)", forms=True),
    "certificates:keylist": _everybody(
        "Öffentliche Schlüsselliste mit Widerrufen (nur Nummern)", public=True
    ),
    "certificates:detail": _page((SCH,), "Eine Bescheinigung der eigenen Schule", scope="certificate"),
    "certificates:pdf": _page((SCH,), "PDF einer Bescheinigung der eigenen Schule", scope="certificate"),
    "certificates:revoke": _page(
        (SCH,),
        "Widerruf (nur POST)",
        scope="certificate",
        forms=True,
        ok_status={SCH: POST_ONLY},
        others_get=POST_ONLY,
    ),
    # data protection
    "privacy:fairness": _page((DS,), "Fairnessbericht (nur Summen, Zellen unter 10 unterdrückt)"),
    "privacy:art15": _page(
        (DS,), "Auskunft nach Art. 15 DSGVO (nur auf Anfrage, mit Zweck, protokolliert)", forms=True
    ),
    "audit:log": _page((DS,), "Protokoll: Suche und Filter"),
    "audit:export": _page((DS,), "Protokoll: Export (CSV, formelsicher)"),
    "audit:verify": _page(
        (DS,),
        "Protokoll: Hash-Kette prüfen (nur POST)",
        forms=True,
        ok_status={DS: POST_ONLY},
        others_get=POST_ONLY,
    ),
    # case work (/aktionen/): campaigns, hint review queue, cases
    "casework:campaigns": _page(CASE_ROLES, "Aktionszeiträume der eigenen Behörde (Koordinierung: alle)"),
    "casework:campaign_export": _page(
        CASE_ROLES, "Export der sichtbaren Aktionszeiträume (Anzahlen; CSV/XLSX, formelsicher)"
    ),
    "casework:campaign_create": _page((K,), "Aktionszeitraum anlegen", forms=True),
    "casework:campaign_detail": _page(
        CASE_ROLES, "Ein Aktionszeitraum mit seinen sichtbaren Prüffällen", scope="campaign"
    ),
    "casework:campaign_select": _page(
        (K,), "Objekte eines Aktionszeitraums aus der Rangliste wählen", scope="campaign", forms=True
    ),
    "casework:hint_queue": _page(HINT_ROLES, "Prüfliste: Hinweise der eigenen Stelle zur Sichtung"),
    "casework:hint_queue_export": _page(
        HINT_ROLES, "Export der Prüfliste der eigenen Stelle (CSV/XLSX, formelsicher, protokolliert)"
    ),
    "casework:hint_review": _page(
        HINT_ROLES,
        "Entscheidung über einen sichtbaren Hinweis (nur POST)",
        scope="hint",
        forms=True,
        ok_status=dict.fromkeys(HINT_ROLES, POST_ONLY),
        others_get=POST_ONLY,
    ),
    "casework:cases": _page(CASE_ROLES, "Prüffälle der eigenen Behörde (Koordinierung: alle)"),
    "casework:my_cases": _page(CASE_ROLES, "Eigene zugewiesene Prüffälle"),
    "casework:case_export": _page(CASE_ROLES, "Export der sichtbaren Prüffälle (CSV/XLSX, formelsicher)"),
    "casework:case_assign": _page(
        (K,), "Prüffälle zuweisen (nur POST)", forms=True, ok_status={K: POST_ONLY}, others_get=POST_ONLY
    ),
    "casework:caseload": _page((K,), "Arbeitslast je Person (Anzahlen)"),
    "casework:caseload_export": _page((K,), "Export der Arbeitslast je Person (Anzahlen; CSV/XLSX)"),
    "casework:case_create": _page(CASE_ROLES, "Prüffall von Hand anlegen", forms=True),
    "casework:case_detail": _page(
        CASE_ROLES, "Ein Prüffall mit den Hinweisen der eigenen Stelle", scope="case"
    ),
    "casework:case_transition": _page(
        CASE_ROLES,
        "Statuswechsel eines Prüffalls (nur POST)",
        scope="case",
        forms=True,
        ok_status=dict.fromkeys(CASE_ROLES, POST_ONLY),
        others_get=POST_ONLY,
    ),
    "casework:case_edit": _page(CASE_ROLES, "Prüffall bearbeiten", scope="case", forms=True),
    # inspections (/kontrollen/)
    "inspections:list": _page(INSPECTION_ROLES, "Kontrollen, an denen die eigene Behörde teilnimmt"),
    "inspections:export": _page(
        INSPECTION_ROLES, "Export der Kontrollen der eigenen Behörde (CSV/XLSX, formelsicher)"
    ),
    "inspections:plan": _page((K,), "Kontrolle planen", forms=True),
    "inspections:detail": _page(INSPECTION_ROLES, "Eine Kontrolle der eigenen Behörde", scope="inspection"),
    "inspections:cancel": _page(
        (K,),
        "Kontrolle absagen (nur POST)",
        scope="inspection",
        forms=True,
        ok_status={K: POST_ONLY},
        others_get=POST_ONLY,
    ),
    "inspections:replan": _page(
        (K,), "Geplante Kontrolle ändern (Termin, Treffpunkt, Team)", scope="inspection", forms=True
    ),
    "inspections:protocol": _page(
        INSPECTION_ROLES,
        "Vor-Ort-Protokoll eines Objekts (Namen erwarteter Personen nur Koordinierung und Polizei)",
        scope="visit",
    ),
    "inspections:save": _page(
        INSPECTION_ROLES,
        "Protokoll speichern (nur POST)",
        scope="visit",
        forms=True,
        ok_status=dict.fromkeys(INSPECTION_ROLES, POST_ONLY),
        others_get=POST_ONLY,
    ),
    "inspections:household_state": _page(
        INSPECTION_ROLES, "Stand einer Wohnung im Protokoll", scope="household"
    ),
    "inspections:add_household": _page(
        INSPECTION_ROLES,
        "Wohnung ergänzen (nur POST)",
        scope="visit",
        forms=True,
        ok_status=dict.fromkeys(INSPECTION_ROLES, POST_ONLY),
        others_get=POST_ONLY,
    ),
    "inspections:upload_photo": _page(
        INSPECTION_ROLES,
        "Foto hochladen (nur POST, Größe und Typ begrenzt)",
        scope="visit",
        forms=True,
        ok_status=dict.fromkeys(INSPECTION_ROLES, POST_ONLY),
        others_get=POST_ONLY,
    ),
    "inspections:complete": _page((K,), "Kontrolle eines Objekts abschließen", scope="visit", forms=True),
    "inspections:photo": _page(INSPECTION_ROLES, "Foto einer Kontrolle der eigenen Behörde", scope="photo"),
    # outcomes (/ergebnisse/): outcomes and measures per hint, letters
    "outcomes:list": _page(HINT_ROLES, "Ergebnisse und Maßnahmen der eigenen Behörde"),
    "outcomes:export_csv": _page(HINT_ROLES, "Export der eigenen Ergebnisse (CSV, formelsicher)"),
    "outcomes:export_xlsx": _page(HINT_ROLES, "Export der eigenen Ergebnisse (XLSX, formelsicher)"),
    "outcomes:hint": _page(
        HINT_ROLES, "Ergebnis zu einem sichtbaren Hinweis erfassen", scope="hint", forms=True
    ),
    "outcomes:measure_add": _page(
        HINT_ROLES,
        "Maßnahme zu einem sichtbaren Hinweis (nur POST)",
        scope="hint",
        forms=True,
        ok_status=dict.fromkeys(HINT_ROLES, POST_ONLY),
        others_get=POST_ONLY,
    ),
    "outcomes:measure_withdraw": _page(
        HINT_ROLES,
        "Maßnahme zurücknehmen (nur POST)",
        scope="measure",
        forms=True,
        ok_status=dict.fromkeys(HINT_ROLES, POST_ONLY),
        others_get=POST_ONLY,
    ),
    "outcomes:letters": _page(LETTER_ROLES, "Schreiben (Empfänger-Behörden: nur freigegebene an sie)"),
    "outcomes:letter_export": _page(
        LETTER_ROLES, "Export der sichtbaren Schreiben (CSV/XLSX, formelsicher, protokolliert)"
    ),
    "outcomes:letter_new": _page((K,), "Schreiben zu einem Prüffall entwerfen", scope="case", forms=True),
    "outcomes:letter": _page(LETTER_ROLES, "Ein Schreiben", scope="letter"),
    "outcomes:letter_edit": _page((K,), "Schreiben bearbeiten", scope="letter", forms=True),
    **{
        f"outcomes:letter_{step}": _page(
            (K,),
            f"Schreiben: {label} (nur POST, Vier-Augen-Prinzip)",
            scope="letter",
            forms=True,
            ok_status={K: POST_ONLY},
            others_get=POST_ONLY,
        )
        for step, label in (
            ("submit", "zur Freigabe einreichen"),
            ("approve", "freigeben"),
            ("reject", "zurückweisen"),
            ("sent", "als versandt vermerken"),
        )
    },
    "outcomes:letter_pdf": _page(LETTER_ROLES, "PDF eines Schreibens", scope="letter"),
    "outcomes:templates": _page((K,), "Vorlagen der Schreiben (keine Personendaten)"),
    "outcomes:template_new": _page((K,), "Vorlage anlegen", forms=True),
    "outcomes:template_edit": _page((K,), "Vorlage bearbeiten", scope="template", forms=True),
    # reports (/berichte/)
    "reports:dashboard": _page((K,), "Übersicht (Kennzahlen, Summen)"),
    "reports:dashboard_export": _page((K,), "Export der Übersicht (CSV/XLSX)"),
    "reports:report": _page((K, DS), "Berichte für Ausschuss und Jahresbericht (nur Summen)"),
    "reports:report_export": _page((K, DS), "Export eines Berichts (nur Summen)"),
    # Django's administration ("verwaltung/"): its log-in page is public; every other page is
    # for staff accounts only (see ADMIN_PAGE).
    "admin:login": _everybody(
        "Anmeldung der Verwaltungsoberfläche", public=True, forms=True, ok_status={ADM: 302}
    ),
}

# Every page of Django's administration ("verwaltung/"): staff accounts only (the city's
# Administration); everybody else is sent to the administration's log-in.
ADMIN_NAMESPACE = "admin"
ADMIN_PAGE = Page(
    roles=frozenset({ADM}),
    data="Verwaltungsoberfläche: Benutzerkonten, Behörden, Rollen, zweiter Faktor (keine Bürgerdaten)",
    others=302,
    forms=True,
    exact=False,
)


def page_for(url_name: str) -> Page | None:
    """The matrix entry of a (namespaced) URL name, or None if the matrix does not know it."""
    if url_name in URL_ACCESS:
        return URL_ACCESS[url_name]
    if url_name.split(":", 1)[0] == ADMIN_NAMESPACE:
        return ADMIN_PAGE
    return None


# --- documentation ---------------------------------------------------------------------------

_SHORT = {
    K: "KO",
    FK: "FK",
    JC: "JC",
    SA: "SA",
    JA: "JA",
    GA: "GA",
    POL: "PO",
    BAU: "BA",
    SCH: "SCH",
    DS: "DS",
    ADM: "ADM",
}


def _cell(page: Page, role: Role) -> str:
    status = page.expected(role)
    if role in page.roles:
        mark = {200: "✔", 302: "→", POST_ONLY: "✔ (POST)"}.get(status, str(status))
        return mark + ("¹" if page.scope else "")
    return "–"


def url_table_markdown() -> str:
    """The page matrix as a Markdown table (for docs/datenschutz/zugriffsmatrix.md)."""
    roles = list(Role)
    head = "| Seite (URL-Name) | " + " | ".join(_SHORT[r] for r in roles) + " | Inhalt |"
    lines = [head, "| --- | " + " | ".join("---" for _ in roles) + " | --- |"]
    for name, page in [*URL_ACCESS.items(), ("admin:*", ADMIN_PAGE)]:
        cells = " | ".join(_cell(page, role) for role in roles)
        lines.append(f"| `{name}` | {cells} | {page.data} |")
    return "\n".join(lines) + "\n"


def role_table_markdown() -> str:
    """Hints, properties, person fields and actions per role (for the documentation)."""
    lines = [
        "| Rolle | Hinweise | Objekte | Personenbezogene Felder | Lieferungen | Handlungen |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for role in Role:
        sources = ", ".join(sorted(DELIVERY_SOURCES.get(role, ()))) or "keine"
        lines.append(
            f"| {role.label} ({_SHORT[role]}) | {HINTS[role].text} | {PROPERTIES[role]} | "
            f"{PERSON_FIELDS[role]} | {sources} | {ACTIONS[role]} |"
        )
    return "\n".join(lines) + "\n"


def write_documentation(path: str = "docs/datenschutz/zugriffsmatrix.md") -> None:
    """Put the generated tables between their markers in the German documentation."""
    from pathlib import Path

    doc = Path(path)
    text = doc.read_text(encoding="utf-8")
    for marker, table in (("rollen", role_table_markdown()), ("seiten", url_table_markdown())):
        start, end = f"<!-- {marker}:anfang -->", f"<!-- {marker}:ende -->"
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        text = f"{head}{start}\n{table}{end}{tail}"
    doc.write_text(text, encoding="utf-8")
