"""The access matrix: which capability (see `missimo.accounts.policy`) opens which page.

The policy maps roles to capabilities and scopes; this module maps every URL name of the project to
the capability its page needs (and the object scope it shows), so that the status every role gets
for every page follows from the policy's data. `tests/app/test_access_matrix.py` proves that the
running application agrees by requesting every URL of the project as every role. The German
description for the city is `docs/datenschutz/zugriffsmatrix.md`; its tables are generated from
:func:`role_table_markdown`, :func:`capability_table_markdown` and :func:`url_table_markdown` (a
test keeps them current).

A new URL name that is missing from :data:`URL_ACCESS` makes the test fail: add it here with the
capability its page needs. A new role needs no entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

from missimo.accounts.policy import (
    HINT_ROUTING,
    ROLES,
    SOURCES,
    AgencyKind,
    Capability,
    Field,
    Role,
    role_can,
)

C = Capability

# What a logged-in role gets for a page it may not open. Outside the scope is "not found"
# (the page does not exist for that role), so nobody learns which objects exist.
NOT_FOUND = 404
POST_ONLY = 405
REDIRECT = 302


@dataclass(frozen=True)
class Page:
    """Who may open one URL name.

    - `needs`: the page opens for a role with one of these capabilities (empty: every role) with
      status `ok` (200, or 302 for pages that send on, 405 for POST-only pages); all others get
      `others` (for a GET: `others_get` if set, e.g. 405 for POST-only pages).
    - `redirect_for`: a role with one of these capabilities (and none of `needs`) is sent on to its
      own page (302), e.g. the Familienkasse from the school certificates to their verification.
    - `public`: reachable without log-in; `anonymous` is the status an anonymous GET gets (302 to the
      log-in for every page that is not public).
    - `scope`: the page shows one object, and an allowed role gets it only if the object is in its
      scope ("hint", "property", "source", "delivery", "rejected", "certificate", "case", ...);
      otherwise 404.
    - `forms`: the page accepts POST (a role outside `roles` is refused with `others`).
    - `exact`: the allowed roles get exactly `ok` (False: any answer below 500, e.g. the
      administration's pages, which answer 403 for models without the permission).
    - `data`: what the page shows (German, for the documentation).
    """

    data: str
    needs: tuple[Capability, ...] = ()
    redirect_for: tuple[Capability, ...] = ()
    others: int = NOT_FOUND
    public: bool = False
    scope: str = ""
    forms: bool = False
    ok: int = 200
    anonymous: int = 302
    others_get: int | None = None
    exact: bool = True

    def _allows(self, role: Role) -> bool:
        return any(role_can(role, capability) for capability in self.needs)

    def _redirects(self, role: Role) -> bool:
        return any(role_can(role, capability) for capability in self.redirect_for)

    def expected(self, role: Role | None) -> int:
        """The status a GET gets from a user of `role` (None: anonymous)."""
        if role is None:
            return self.anonymous
        if self.needs and self._allows(role):
            return self.ok
        if self._redirects(role):
            return REDIRECT
        if not self.needs:
            return self.ok
        return self.others if self.others_get is None else self.others_get

    @property
    def roles(self) -> frozenset[Role]:
        """The roles that get the page (or are sent on to their own)."""
        return frozenset(
            role for role in Role if not self.needs or self._allows(role) or self._redirects(role)
        )


def _page(needs: Capability | tuple[Capability, ...], data: str, **kwargs) -> Page:
    if kwargs.get("public"):
        kwargs.setdefault("anonymous", 200)
    return Page(data=data, needs=needs if isinstance(needs, tuple) else (needs,), **kwargs)


def _everybody(data: str, **kwargs) -> Page:
    return _page((), data, **kwargs)


LETTERS = (C.WRITE_LETTERS, C.RECEIVE_LETTERS)

URL_ACCESS: dict[str, Page] = {
    # web, log-in, second factor
    "start": _everybody("Startseite: eigene Behörde und Rollen"),
    "save_filter": _everybody(
        "den Filter einer Liste unter einem Namen speichern (nur POST, nur für sich)",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "delete_filter": _everybody(
        "einen eigenen gespeicherten Filter löschen (nur POST)",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "accessibility": _everybody("Erklärung zur Barrierefreiheit", public=True),
    "login": _everybody(
        "Anmeldung", public=True, forms=True, ok=REDIRECT
    ),  # already logged in: on to the start page
    "logout": _everybody("Abmeldung (nur POST)", forms=True, ok=POST_ONLY),
    "two_factor_enrol": _everybody("Einrichtung des zweiten Faktors (eigenes Konto)", forms=True),
    "two_factor_verify": _everybody(
        "Code-Eingabe des zweiten Faktors (ohne Gerät: weiter zur Einrichtung)",
        forms=True,
        ok=REDIRECT,
    ),
    "two_factor_recovery_codes": _everybody(
        "Wiederherstellungscodes des eigenen Kontos neu erzeugen", forms=True
    ),
    # deliveries
    "imports:list": _page(C.DELIVER, "Lieferungen der eigenen Quellen (Metadaten, keine Zeilen)"),
    "imports:export": _page(
        C.DELIVER, "Export der Lieferungen der eigenen Quellen (Metadaten; CSV/XLSX, formelsicher)"
    ),
    "imports:new": _page(C.DELIVER, "Neue Lieferung einer eigenen Quelle", scope="source", forms=True),
    "imports:detail": _page(
        C.DELIVER,
        "Eine Lieferung einer eigenen Quelle; abgelehnte Zeilen nur liefernde Stelle",
        scope="delivery",
    ),
    "imports:rejected": _page(
        C.DELIVER,
        "Abgelehnte Zeilen (personenbezogen): liefernde Behörde und Koordinierung",
        scope="rejected",
    ),
    "imports:mapping": _page(
        C.DELIVER,
        "Spaltenzuordnung mit Vorschau der Datei: liefernde Behörde und Koordinierung",
        scope="rejected",
        forms=True,
    ),
    "imports:confirm": _page(
        C.DELIVER,
        "Zurückgehaltene Lieferung bestätigen (nur POST): liefernde Behörde und Koordinierung",
        scope="rejected",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "imports:discard": _page(
        C.DELIVER,
        "Zurückgehaltene Lieferung verwerfen (nur POST): liefernde Behörde und Koordinierung",
        scope="rejected",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "imports:restore": _page(
        C.DELIVER,
        "Vorherige Lieferung einer eigenen Quelle wiederherstellen (nur POST)",
        scope="source",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    # runs and hints
    "runs:list": _page(C.SEE_HINTS, "Abgleiche (Zählwerte); starten nur Koordinierung", forms=True),
    "runs:export": _page(C.SEE_HINTS, "Export der Abgleichsliste (Zählwerte; CSV/XLSX, formelsicher)"),
    "runs:detail": _page(C.SEE_HINTS, "Ein Abgleich (Zählwerte je Regel); Rangliste nur Koordinierung"),
    "runs:review": _page(
        C.JUDGE_LINKS,
        "Stichprobe der Personenverknüpfung eines Abgleichs beurteilen (Datensätze beider Seiten, nur "
        "Koordinierung)",
        forms=True,
    ),
    "runs:hints": _page(C.SEE_HINTS, "Hinweise im eigenen Zuständigkeitsbereich (siehe Hinweise je Rolle)"),
    "runs:hint_export": _page(
        C.SEE_HINTS, "Export der sichtbaren Hinweise (CSV/XLSX, formelsicher, protokolliert)"
    ),
    "runs:links": _page(
        C.SEE_HINTS,
        "„Warum verknüpft?“: Datensätze der Personen eines Hinweises, den die Rolle ganz sieht (nicht für "
        "handelnde Stellen)",
        scope="whole_hint",
        forms=True,
    ),
    "runs:rules": _everybody("Regelkatalog (öffentlich bekannt, keine Personendaten)"),
    # property register
    "properties:list": _page(C.SEE_REGISTER, "Objekte im Zuständigkeitsbereich (siehe Objekte je Rolle)"),
    "properties:export_csv": _page(C.SEE_REGISTER, "Export der sichtbaren Objekte (CSV, formelsicher)"),
    "properties:export_xlsx": _page(C.SEE_REGISTER, "Export der sichtbaren Objekte (XLSX, formelsicher)"),
    "properties:map_data": _page(C.SEE_REGISTER, "Kartenpunkte der sichtbaren Objekte"),
    "properties:detail": _page(C.SEE_REGISTER, "Objektakte mit den sichtbaren Hinweisen", scope="property"),
    "properties:by_objekt": _page(
        C.SEE_REGISTER, "Weiterleitung zur Objektakte über die Objekt-ID", scope="property", ok=REDIRECT
    ),
    "properties:edit": _page(
        C.EDIT_REGISTER, "Fallbearbeitung eines Objekts ändern", scope="property", forms=True
    ),
    "properties:measure_add": _page(
        C.EDIT_REGISTER, "Maßnahme an einem Objekt erfassen", scope="property", forms=True
    ),
    "properties:owner_assign": _page(
        C.EDIT_REGISTER,
        "Eigentümer (Datensatz mit Anschrift) einem Objekt zuordnen (nur mit Sicht auf Eigentümer; nur POST)",
        scope="property",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "properties:complaint_add": _page(
        C.EDIT_REGISTER,
        "Beschwerde zu einem Objekt erfassen (Datum, Quelle, Gegenstand; nur POST)",
        scope="property",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "properties:measure_decide": _page(
        C.RECORD_STEERING_DECISIONS,
        "Beschluss des Lenkungskreises zu einer Maßnahme erfassen (nur POST)",
        scope="property",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "properties:owner_detail": _page(
        C.SEE_REGISTER,
        "Ein Eigentümer mit seinen sichtbaren Objekten, Verfahren und Beschwerden (nur Rollen mit Sicht auf "
        "Eigentümer)",
        scope="owner",
    ),
    # certificates
    "certificates:index": _page(
        C.ISSUE_CERTIFICATES,
        "Bescheinigungen der eigenen Schule (Familienkasse und Administration: weiter zu ihrer Seite)",
        redirect_for=(C.VERIFY_CERTIFICATES, C.MANAGE_SIGNING_KEYS),
    ),
    "certificates:export": _page(
        C.ISSUE_CERTIFICATES,
        "Export der Bescheinigungen der eigenen Schule (CSV/XLSX, formelsicher, protokolliert)",
    ),
    "certificates:issue": _page(
        C.ISSUE_CERTIFICATES, "Schülersuche der eigenen Schule, Ausstellen", forms=True
    ),
    "certificates:manual": _page(C.ISSUE_CERTIFICATES, "Ausstellen aus eingegebenen Daten", forms=True),
    "certificates:verify": _page(C.VERIFY_CERTIFICATES, "Prüfen einer vorgelegten Bescheinigung", forms=True),
    "certificates:keys": _page(
        C.MANAGE_SIGNING_KEYS, "Signaturschlüssel der Schulen (keine Personendaten)", forms=True
    ),
    "certificates:keylist": _everybody(
        "Öffentliche Schlüsselliste mit Widerrufen (nur Nummern)", public=True
    ),
    "certificates:schools": _page(
        C.KEEP_SCHOOL_REGISTER,
        "Schulregister: Schulnummer, Name, Schulform, Kontakt, Lieferstand je Schule (keine Schülerdaten)",
        forms=True,
    ),
    "certificates:detail": _page(
        C.ISSUE_CERTIFICATES, "Eine Bescheinigung der eigenen Schule", scope="certificate"
    ),
    "certificates:pdf": _page(
        C.ISSUE_CERTIFICATES, "PDF einer Bescheinigung der eigenen Schule", scope="certificate"
    ),
    "certificates:revoke": _page(
        C.ISSUE_CERTIFICATES,
        "Widerruf (nur POST)",
        scope="certificate",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    # data protection
    "privacy:fairness": _page(
        C.SEE_PRIVACY_REPORTS, "Fairnessbericht (nur Summen, Zellen unter 10 unterdrückt)"
    ),
    "privacy:art15": _page(
        C.SEE_PRIVACY_REPORTS,
        "Auskunft nach Art. 15 DSGVO (nur auf Anfrage, mit Zweck, protokolliert)",
        forms=True,
    ),
    "audit:log": _page(C.READ_AUDIT_LOG, "Protokoll: Suche und Filter"),
    "audit:export": _page(C.READ_AUDIT_LOG, "Protokoll: Export (CSV, formelsicher)"),
    "audit:verify": _page(
        C.READ_AUDIT_LOG,
        "Protokoll: Hash-Kette prüfen (nur POST)",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    # case work (/aktionen/): campaigns, hint review queue, cases
    "casework:campaigns": _page(C.WORK_CASES, "Aktionszeiträume der eigenen Behörde (Koordinierung: alle)"),
    "casework:campaign_export": _page(
        C.WORK_CASES, "Export der sichtbaren Aktionszeiträume (Anzahlen; CSV/XLSX, formelsicher)"
    ),
    "casework:campaign_create": _page(C.MANAGE_CAMPAIGNS, "Aktionszeitraum anlegen", forms=True),
    "casework:campaign_detail": _page(
        C.WORK_CASES, "Ein Aktionszeitraum mit seinen sichtbaren Prüffällen", scope="campaign"
    ),
    "casework:campaign_select": _page(
        C.MANAGE_CAMPAIGNS,
        "Objekte eines Aktionszeitraums aus der Rangliste wählen",
        scope="campaign",
        forms=True,
    ),
    "casework:hint_queue": _page(C.REVIEW_HINTS, "Prüfliste: Hinweise der eigenen Stelle zur Sichtung"),
    "casework:hint_queue_export": _page(
        C.REVIEW_HINTS, "Export der Prüfliste der eigenen Stelle (CSV/XLSX, formelsicher, protokolliert)"
    ),
    "casework:hint_review": _page(
        C.REVIEW_HINTS,
        "Entscheidung über einen sichtbaren Hinweis (nur POST)",
        scope="hint",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "casework:hint_review_bulk": _page(
        C.REVIEW_HINTS,
        "mehrere sichtbare Hinweise auf einmal zur Kontrolle vorschlagen (nur POST)",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "casework:cases": _page(C.WORK_CASES, "Prüffälle der eigenen Behörde (Koordinierung: alle)"),
    "casework:my_cases": _page(C.WORK_CASES, "Eigene zugewiesene Prüffälle"),
    "casework:case_export": _page(C.WORK_CASES, "Export der sichtbaren Prüffälle (CSV/XLSX, formelsicher)"),
    "casework:case_assign": _page(
        C.ASSIGN_CASES, "Prüffälle zuweisen (nur POST)", forms=True, ok=POST_ONLY, others_get=POST_ONLY
    ),
    "casework:caseload": _page(C.ASSIGN_CASES, "Arbeitslast je Person (Anzahlen)"),
    "casework:caseload_export": _page(
        C.ASSIGN_CASES, "Export der Arbeitslast je Person (Anzahlen; CSV/XLSX)"
    ),
    "casework:case_create": _page(C.WORK_CASES, "Prüffall von Hand anlegen", forms=True),
    "casework:deadlines": _page(
        C.WORK_CASES,
        "Fristen und Wiedervorlagen der eigenen Prüffälle, der Maßnahmen der eigenen Behörde und der "
        "Antworten auf eigene Schreiben",
    ),
    "casework:deadlines_ics": _page(
        C.WORK_CASES,
        "Fristen und Wiedervorlagen als iCalendar-Datei (nur Aktenzeichen oder Hinweis-ID, keine Personen)",
    ),
    "casework:case_detail": _page(
        C.WORK_CASES, "Ein Prüffall mit den Hinweisen der eigenen Stelle", scope="case"
    ),
    "casework:case_transition": _page(
        C.WORK_CASES,
        "Statuswechsel eines Prüffalls (nur POST)",
        scope="case",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "casework:case_edit": _page(C.WORK_CASES, "Prüffall bearbeiten", scope="case", forms=True),
    "casework:handover_request": _page(
        C.WORK_CASES,
        "Abgabe eines Prüffalls beantragen (Staatsanwaltschaft: nur Koordinierung; Mitteilung nach § 8a "
        "SGB VIII an das Jugendamt; nur POST)",
        scope="case",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "casework:handover_decide": _page(
        C.HAND_OVER_CASES,
        "Abgabe freigeben oder ablehnen (zweite Person, Vier-Augen-Prinzip; nur POST)",
        scope="handover",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "casework:handed_over": _page(C.SEE_HANDED_OVER_CASES, "An die eigene Behörde abgegebene Prüffälle"),
    "casework:handed_over_detail": _page(
        C.SEE_HANDED_OVER_CASES,
        "Ein abgegebener Prüffall (Sachverhalt, Objekt, Verlauf; keine Hinweisdaten)",
        scope="handed_over",
    ),
    # inspections (/kontrollen/)
    "inspections:list": _page(
        C.TAKE_PART_IN_INSPECTIONS, "Kontrollen, an denen die eigene Behörde teilnimmt"
    ),
    "inspections:calendar": _page(
        C.TAKE_PART_IN_INSPECTIONS,
        "Geplante Kontrollen der eigenen Behörde als Kalenderdatei (ICS; Datum, Uhrzeit, Link)",
    ),
    "inspections:calendar_feed": _page(
        C.TAKE_PART_IN_INSPECTIONS,
        "Kalender-Abonnement der geplanten Kontrollen über eine signierte persönliche Adresse "
        "(ohne Anmeldung; Datum, Uhrzeit, Link)",
        public=True,
        anonymous=NOT_FOUND,
    ),
    "inspections:export": _page(
        C.TAKE_PART_IN_INSPECTIONS, "Export der Kontrollen der eigenen Behörde (CSV/XLSX, formelsicher)"
    ),
    "inspections:plan": _page(C.PLAN_INSPECTIONS, "Kontrolle planen", forms=True),
    "inspections:detail": _page(
        C.TAKE_PART_IN_INSPECTIONS, "Eine Kontrolle der eigenen Behörde", scope="inspection"
    ),
    "inspections:cancel": _page(
        C.PLAN_INSPECTIONS,
        "Kontrolle absagen (nur POST)",
        scope="inspection",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "inspections:replan": _page(
        C.PLAN_INSPECTIONS,
        "Geplante Kontrolle ändern (Termin, Treffpunkt, Team)",
        scope="inspection",
        forms=True,
    ),
    "inspections:protocol": _page(
        C.TAKE_PART_IN_INSPECTIONS,
        "Vor-Ort-Protokoll eines Objekts (Namen erwarteter Personen nur Koordinierung und Polizei)",
        scope="visit",
    ),
    "inspections:save": _page(
        C.TAKE_PART_IN_INSPECTIONS,
        "Protokoll speichern (nur POST)",
        scope="visit",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "inspections:household_state": _page(
        C.TAKE_PART_IN_INSPECTIONS, "Stand einer Wohnung im Protokoll", scope="household"
    ),
    "inspections:add_household": _page(
        C.TAKE_PART_IN_INSPECTIONS,
        "Wohnung ergänzen (nur POST)",
        scope="visit",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "inspections:upload_photo": _page(
        C.TAKE_PART_IN_INSPECTIONS,
        "Foto hochladen (nur POST, Größe und Typ begrenzt)",
        scope="visit",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "inspections:complete": _page(
        C.PLAN_INSPECTIONS, "Kontrolle eines Objekts abschließen", scope="visit", forms=True
    ),
    "inspections:referrals": _page(
        C.WORK_CASES,
        "Vermittlungen an Hilfsangebote mit Stand (Prüffälle im eigenen Bereich; Koordinierungsstelle: alle), "
        "filterbar, ohne Namen",
    ),
    "inspections:referral_add": _page(
        C.WORK_CASES,
        "Vermittlung an ein Hilfsangebot erfassen (mit Einwilligung; nur POST)",
        scope="case",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "inspections:referral_move": _page(
        C.WORK_CASES,
        "Stand einer Vermittlung ändern (nur POST)",
        scope="referral",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "inspections:photo": _page(
        C.TAKE_PART_IN_INSPECTIONS, "Foto einer Kontrolle der eigenen Behörde", scope="photo"
    ),
    # outcomes (/ergebnisse/): outcomes and measures per hint, letters
    "outcomes:list": _page(C.RECORD_OUTCOMES, "Ergebnisse und Maßnahmen der eigenen Behörde"),
    "outcomes:export_csv": _page(C.RECORD_OUTCOMES, "Export der eigenen Ergebnisse (CSV, formelsicher)"),
    "outcomes:export_xlsx": _page(C.RECORD_OUTCOMES, "Export der eigenen Ergebnisse (XLSX, formelsicher)"),
    "outcomes:hint": _page(
        C.RECORD_OUTCOMES, "Ergebnis zu einem sichtbaren Hinweis erfassen", scope="hint", forms=True
    ),
    "outcomes:case": _page(
        C.RECORD_OUTCOMES,
        "Ergebnis zu einem sichtbaren Prüffall selbst, auch ohne Hinweis (nur POST)",
        scope="case",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "outcomes:measure_add": _page(
        C.RECORD_OUTCOMES,
        "Maßnahme zu einem sichtbaren Hinweis (nur POST)",
        scope="hint",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "outcomes:measure_withdraw": _page(
        C.RECORD_OUTCOMES,
        "Maßnahme zurücknehmen (nur POST)",
        scope="measure",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "outcomes:letters": _page(LETTERS, "Schreiben (Empfänger-Behörden: nur freigegebene an sie)"),
    "outcomes:letter_export": _page(
        LETTERS, "Export der sichtbaren Schreiben (CSV/XLSX, formelsicher, protokolliert)"
    ),
    "outcomes:letter_new": _page(
        C.WRITE_LETTERS, "Schreiben zu einem Prüffall entwerfen", scope="case", forms=True
    ),
    "outcomes:letter": _page(LETTERS, "Ein Schreiben", scope="letter"),
    "outcomes:letter_edit": _page(C.WRITE_LETTERS, "Schreiben bearbeiten", scope="letter", forms=True),
    **{
        f"outcomes:letter_{step}": _page(
            C.WRITE_LETTERS,
            f"Schreiben: {label} (nur POST, Vier-Augen-Prinzip)",
            scope="letter",
            forms=True,
            ok=POST_ONLY,
            others_get=POST_ONLY,
        )
        for step, label in (
            ("submit", "zur Freigabe einreichen"),
            ("approve", "freigeben"),
            ("reject", "zurückweisen"),
            ("sent", "als versandt vermerken"),
        )
    },
    "outcomes:letter_pdf": _page(LETTERS, "PDF eines Schreibens", scope="letter"),
    "outcomes:templates": _page(C.WRITE_LETTERS, "Vorlagen der Schreiben (keine Personendaten)"),
    "outcomes:template_new": _page(C.WRITE_LETTERS, "Vorlage anlegen", forms=True),
    "outcomes:template_edit": _page(C.WRITE_LETTERS, "Vorlage bearbeiten", scope="template", forms=True),
    # reports (/berichte/)
    "reports:dashboard": _page(C.SEE_DASHBOARD, "Übersicht (Kennzahlen, Summen)"),
    "reports:dashboard_export": _page(C.SEE_DASHBOARD, "Export der Übersicht (CSV/XLSX)"),
    "reports:report": _page(C.SEE_REPORTS, "Berichte für Ausschuss und Jahresbericht (nur Summen)"),
    "reports:report_export": _page(C.SEE_REPORTS, "Export eines Berichts (nur Summen)"),
    # the administration of accounts in the application (missimo.administration)
    "administration:users": _page(C.ADMINISTER_ACCOUNTS, "Benutzerkonten mit Behörde, Rollen und Status"),
    "administration:user_create": _page(
        C.ADMINISTER_ACCOUNTS, "Benutzerkonto anlegen (Behörde, Rolle, Erstpasswort)", forms=True
    ),
    "administration:user_detail": _page(
        C.ADMINISTER_ACCOUNTS, "ein Benutzerkonto mit Sperre und zweitem Faktor"
    ),
    "administration:user_unlock": _page(
        C.ADMINISTER_ACCOUNTS,
        "Kontosperre aufheben (nur POST)",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "administration:user_reset_second_factor": _page(
        C.ADMINISTER_ACCOUNTS,
        "zweiten Faktor zurücksetzen (nur POST)",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    "administration:user_set_active": _page(
        C.ADMINISTER_ACCOUNTS,
        "Benutzerkonto deaktivieren oder reaktivieren (nur POST)",
        forms=True,
        ok=POST_ONLY,
        others_get=POST_ONLY,
    ),
    # Django's administration ("verwaltung/"): its log-in page is public; every other page is
    # for staff accounts only (see ADMIN_PAGE).
    "admin:login": _everybody(
        "Anmeldung der Verwaltungsoberfläche", public=True, forms=True, redirect_for=(C.ADMINISTER_ACCOUNTS,)
    ),
}

# Every page of Django's administration ("verwaltung/"): staff accounts only (the city's
# Administration); everybody else is sent to the administration's log-in.
ADMIN_NAMESPACE = "admin"
ADMIN_PAGE = Page(
    data="Verwaltungsoberfläche: Benutzerkonten, Behörden, Rollen, zweiter Faktor (keine Bürgerdaten)",
    needs=(C.ADMINISTER_ACCOUNTS,),
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


def _cell(page: Page, role: Role) -> str:
    status = page.expected(role)
    if role in page.roles:
        mark = {200: "✔", REDIRECT: "→", POST_ONLY: "✔ (POST)"}.get(status, str(status))
        return mark + ("¹" if page.scope else "")
    return "–"


def _header(first: str, last: str = "") -> list[str]:
    shorts = [ROLES[role].short for role in Role]
    extra = [last] if last else []
    cells = [first, *shorts, *extra]
    return ["| " + " | ".join(cells) + " |", "| " + " | ".join("---" for _ in cells) + " |"]


def url_table_markdown() -> str:
    """The page matrix as a Markdown table (for docs/datenschutz/zugriffsmatrix.md)."""
    lines = _header("Seite (URL-Name)", "Inhalt")
    for name, page in [*URL_ACCESS.items(), ("admin:*", ADMIN_PAGE)]:
        cells = " | ".join(_cell(page, role) for role in Role)
        lines.append(f"| `{name}` | {cells} | {page.data} |")
    return "\n".join(lines) + "\n"


def capability_table_markdown() -> str:
    """Capabilities and sensitive fields per role: the policy's data as a Markdown table."""
    lines = _header("Fähigkeit / Feld")
    for capability in Capability:
        cells = " | ".join("✔" if role_can(role, capability) else "–" for role in Role)
        lines.append(f"| {capability.label} (`{capability.value}`) | {cells} |")
    for field in Field:
        cells = " | ".join("✔" if field in ROLES[role].fields else "–" for role in Role)
        lines.append(f"| Feld: {field.label} | {cells} |")
    for source in SOURCES:
        cells = " | ".join("✔" if source in ROLES[role].record_sources else "–" for role in Role)
        lines.append(f"| Datensätze der Quelle {source} („Warum verknüpft?“) | {cells} |")
    return "\n".join(lines) + "\n"


def role_table_markdown() -> str:
    """Hints, properties, person fields, deliveries and actions per role (for the documentation)."""
    lines = [
        "| Rolle | Hinweise | Objekte | Personenbezogene Felder | Lieferungen | Handlungen |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for role in Role:
        spec = ROLES[role]
        sources = ", ".join(sorted(spec.delivered_sources)) or "keine"
        lines.append(
            f"| {role.label} ({spec.short}) | {spec.hints_text} | {spec.properties.text} | "
            f"{spec.fields_text} | {sources} | {spec.actions_text} |"
        )
    return "\n".join(lines) + "\n"


def routing_table_markdown() -> str:
    """Per rule: the agency that owns the data, the agencies that must act and the facts each of them
    sees (policy.HINT_ROUTING), for the documentation."""
    lines = [
        "| Regel | Daten von (sieht den ganzen Hinweis) | Handelnde Stellen und ihre Felder | Warum |",
        "| --- | --- | --- | --- |",
    ]
    for rule, routing in HINT_ROUTING.items():
        owners = ", ".join(str(AgencyKind(kind).label) for kind in routing.owners)
        acting = [
            f"{AgencyKind(kind).label}: {', '.join(sorted(facts))}"
            for kind, facts in sorted(routing.acting.items())
        ]
        if routing.school:
            acting.append("Schulleitung der eigenen Schule: ganzer Hinweis")
        lines.append(f"| `{rule}` | {owners} | {'; '.join(acting) or '–'} | {routing.text} |")
    return "\n".join(lines) + "\n"


TABLES = {
    "weiterleitung": routing_table_markdown,
    "rollen": role_table_markdown,
    "faehigkeiten": capability_table_markdown,
    "seiten": url_table_markdown,
}


def write_documentation(path: str = "docs/datenschutz/zugriffsmatrix.md") -> None:
    """Put the generated tables between their markers in the German documentation."""
    from pathlib import Path

    doc = Path(path)
    text = doc.read_text(encoding="utf-8")
    for marker, table in TABLES.items():
        start, end = f"<!-- {marker}:anfang -->", f"<!-- {marker}:ende -->"
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        text = f"{head}{start}\n{table()}{end}{tail}"
    doc.write_text(text, encoding="utf-8")
