"""The access policy of MISSIMO: which role may do what and see which data. The one place that
names roles.

A role (a Django group keyed by the role's code) maps to

- **capabilities**: what its members may do (`can(user, Capability.START_RUN)`);
- **scopes**: which hints, properties and deliveries they see (`hint_filter(user)`,
  `property_scope(user)`, `delivery_sources(user)`); cases, campaigns, inspections, outcomes and
  letters are those of the user's own agency unless the role has `Capability.SEE_ALL_AGENCIES`;
- **fields**: which sensitive fields and which sources' records they see (`sees_field(user,
  Field.OWNER)`, `record_sources(user)`).

Every view, service and export asks these functions; no other module names a role (a test in
tests/test_architecture.py says so). The pages each capability opens are in
`missimo.accounts.access` (the access matrix, tested against every URL of the project); the German
description for the city is docs/datenschutz/zugriffsmatrix.md, generated from both.

Hints are routed by data: a hint belongs to the agency of its primary record (`Hint.agency_kind`)
and, through :data:`ACTING_AGENCIES`, to the agencies that act on every hint of its rule. A role
with `HintVisibility.AGENCY` sees the hints of its agency kind, owned or acted on.

A role is data: one :class:`RoleSpec` record (code, German label, capabilities, scopes, fields) in
:data:`CATALOGUE`, registered with :func:`register_role`; a member of :class:`AgencyKind` only if its
agency is of a new kind. Then regenerate docs/datenschutz/zugriffsmatrix.md
(`missimo.accounts.access.write_documentation()`). Its group, named by the code, is created after
the next migrate. `Role` reads the registry like an enumeration (`Role.ZOLL`, `Role("zoll")`,
`for role in Role`); tests/test_adding_a_role.py adds a toy role and removes it again.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import models
from django.db.models import Q

from missimo import engine

# --- agencies and roles ------------------------------------------------------------------------


class AgencyKind(models.TextChoices):
    ORDNUNGSAMT = "ordnungsamt", "Ordnungsamt (Koordinierungsstelle)"
    FAMILIENKASSE = "familienkasse", "Familienkasse"
    JOBCENTER = "jobcenter", "Jobcenter"
    SCHULAMT = "schulamt", "Schulamt"
    JUGENDAMT = "jugendamt", "Jugendamt"
    GESUNDHEITSAMT = "gesundheitsamt", "Gesundheitsamt"
    POLIZEI = "polizei", "Polizei"
    BAUAUFSICHT = "bauaufsicht", "Bauaufsicht"
    WOHNUNGSAUFSICHT = "wohnungsaufsicht", "Wohnungsaufsicht"
    ZOLL = "zoll", "Zoll (Finanzkontrolle Schwarzarbeit)"
    AUSLAENDERBEHOERDE = "auslaenderbehoerde", "Ausländerbehörde"
    ARBEITSSCHUTZ = "arbeitsschutz", "Arbeitsschutz"
    STAATSANWALTSCHAFT = "staatsanwaltschaft", "Staatsanwaltschaft"
    EINWOHNERMELDEAMT = "einwohnermeldeamt", "Einwohnermeldeamt"
    SCHULE = "schule", "Schule"
    DATENSCHUTZ = "datenschutz", "Datenschutz"
    IT = "it", "IT/Administration"


def agency_kind_choices() -> list[tuple[str, str]]:
    """The choices of `Agency.kind` (a callable, so that a new kind needs no migration)."""
    return AgencyKind.choices


class _Registry(type):
    """The class of :class:`Role`: it reads the registry of role records (:data:`ROLES`) the way an
    enumeration reads its members, so that ``for role in Role``, ``Role("zoll")`` and ``Role.ZOLL``
    keep working while a role is one record of data (:func:`register_role`)."""

    def __iter__(cls) -> Iterator[Role]:
        return iter(tuple(ROLES))

    def __len__(cls) -> int:
        return len(ROLES)

    def __contains__(cls, code: object) -> bool:
        return code in ROLES

    def __call__(cls, code: str) -> Role:  # type: ignore[override]
        """The registered role with this code (ValueError for an unknown code, like an enumeration)."""
        role = _ROLE_OF_CODE.get(str(code))
        if role is None:
            raise ValueError(f"{code!r} ist keine Rolle")
        return role

    def __getattr__(cls, name: str) -> Role:
        role = _ROLE_OF_CODE.get(name.lower()) if name.isupper() else None
        if role is None:
            raise AttributeError(name)
        return role


class Role(str, metaclass=_Registry):
    """A role: its stable code, which is also the name of its group (never the editable German
    label). Everything else about it is its :class:`RoleSpec` in :data:`ROLES`."""

    __slots__ = ()

    @property
    def value(self) -> str:
        return str(self)

    @property
    def group_name(self) -> str:
        """The name of the role's group: the stable code, never the (editable) German label."""
        return str(self)

    @property
    def label(self) -> str:
        return ROLES[self].label

    def __repr__(self) -> str:
        return f"Role.{self.upper()}"


class Capability(enum.StrEnum):
    """What a member of a role may do. The German text is the documentation's."""

    label: str

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    # deliveries and runs
    DELIVER = "deliver", "Lieferungen der eigenen Quellen einspielen und ansehen"
    SEE_ALL_REJECTED_ROWS = "see_all_rejected_rows", "abgelehnte Zeilen aller liefernden Stellen"
    START_RUN = "start_run", "Abgleich starten"
    SEE_HINTS = "see_hints", "Hinweise im eigenen Bereich sichten"
    SEE_RANKING = "see_ranking", "Rangliste eines Abgleichs"
    # property register
    SEE_REGISTER = "see_register", "Immobilienkataster ansehen"
    EDIT_REGISTER = "edit_register", "Objekte bearbeiten, Maßnahmen am Objekt erfassen"
    # case work
    SEE_ALL_AGENCIES = "see_all_agencies", "Fallarbeit aller Behörden sehen (Fälle, Kontrollen, Ergebnisse)"
    MANAGE_CAMPAIGNS = "manage_campaigns", "Aktionszeiträume anlegen und Objekte auswählen"
    ASSIGN_CASES = "assign_cases", "Prüffälle zuweisen, Arbeitslast sehen"
    WORK_CASES = "work_cases", "Prüffälle bearbeiten"
    REVIEW_HINTS = "review_hints", "Hinweise in der Prüfliste sichten"
    PLAN_INSPECTIONS = "plan_inspections", "Kontrollen planen, ändern, absagen und abschließen"
    TAKE_PART_IN_INSPECTIONS = "take_part_in_inspections", "an Kontrollen teilnehmen (Protokoll)"
    RECORD_OUTCOMES = "record_outcomes", "Ergebnisse und Maßnahmen zu Hinweisen erfassen"
    WRITE_LETTERS = "write_letters", "Schreiben und Vorlagen verfassen, im Vier-Augen-Prinzip freigeben"
    RECEIVE_LETTERS = "receive_letters", "freigegebene Schreiben an die eigene Behörde lesen"
    # school certificates
    ISSUE_CERTIFICATES = "issue_certificates", "Schulbescheinigungen der eigenen Schule ausstellen"
    VERIFY_CERTIFICATES = "verify_certificates", "Schulbescheinigungen prüfen"
    MANAGE_SIGNING_KEYS = "manage_signing_keys", "Signaturschlüssel der Schulen verwalten"
    # oversight and administration
    SEE_DASHBOARD = "see_dashboard", "Übersicht der Koordinierungsstelle"
    SEE_REPORTS = "see_reports", "Berichte (nur Summen)"
    SEE_INTERNAL_REPORTS = "see_internal_reports", "interne Fassung der Berichte (ohne Unterdrückung)"
    READ_AUDIT_LOG = "read_audit_log", "Protokoll durchsuchen, exportieren und prüfen"
    SEE_PRIVACY_REPORTS = "see_privacy_reports", "Fairnessbericht, Auskunft nach Art. 15 DSGVO"
    ADMINISTER_ACCOUNTS = "administer_accounts", "Benutzerkonten und Rollen verwalten"
    # the network (issue 17): cases handed over to a prosecutor
    HAND_OVER_CASES = "hand_over_cases", "Prüffälle an die Staatsanwaltschaft abgeben (Vier-Augen-Prinzip)"
    SEE_HANDED_OVER_CASES = "see_handed_over_cases", "an die eigene Behörde abgegebene Prüffälle lesen"
    RECORD_STEERING_DECISIONS = (
        "record_steering_decisions",
        "Beschlüsse des Lenkungskreises zu Maßnahmen erfassen",
    )
    # the school register (issue 17): Schulnummer, school form, contact and delivery per school
    KEEP_SCHOOL_REGISTER = (
        "keep_school_register",
        "Schulregister ansehen und pflegen (Schulform, Kontakt, Lieferstand)",
    )
    # person linkage (issue #21): a judgement changes the linkage of every agency in later runs
    JUDGE_LINKS = "judge_links", "Personenverknüpfungen aller Quellen als „nicht dieselbe Person“ ablehnen"


class Field(enum.StrEnum):
    """Fields shown only to some of the roles that see the record they belong to."""

    label: str

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    OWNER = "eigentuemer", "Eigentümer der Objekte"
    RANK = "rang", "Rang eines Objekts im letzten Abgleich"
    EXPECTED_PERSONS = "erwartete_personen", "Namen und Geburtsdaten erwarteter Personen im Kontrollprotokoll"


class HintVisibility(enum.Enum):
    ALL = "alle"
    AGENCY = "der eigenen Stelle"
    OWN_SCHOOL = "der eigenen Schule"  # the school's own pupils, by the Schulnummer of the user's agency
    NONE = "keine"


class PropertyVisibility(enum.IntEnum):
    """Ordered: a user with several roles gets the widest."""

    NONE = 0
    WITH_OWN_HINTS = 1
    ALL = 2

    @property
    def text(self) -> str:
        return {0: "keine", 1: "mit eigenen Hinweisen", 2: "alle"}[self.value]


SOURCES: tuple[str, ...] = tuple(engine.SOURCES)

# --- routing: who gets the hints of a rule ----------------------------------------------------

# The agency that owns a hint: the agency that delivered its primary record's source (the source
# descriptor's owner, see missimo.engine.sources).
DATA_OWNER_OF_SOURCE: dict[str, str] = {name: layout.owner for name, layout in engine.SOURCES.items()}
# Sources whose records name a school by Schulnummer in their reference ("schule:<Schulnummer>/<ID>").
SCHOOL_SOURCE = "schule"


@dataclass(frozen=True)
class Routing:
    """Who gets the hints of one rule, and what each agency sees of them.

    - `owners`: the agency kinds that own the data of the primary record (they see the whole hint);
    - `acting`: agency kinds that must act on every hint of the rule, each with the facts of the hint
      it needs (names of `Hint.facts`); they see the rule, the address and these facts, never the
      amounts, the owner's record numbers or the other facts;
    - `school`: the pupil's own school (Schulleitung) sees the hint (whole: it is the school's data);
    - `text`: why (German, for the documentation).
    """

    owners: tuple[str, ...]
    acting: dict[str, frozenset[str]]
    text: str
    school: bool = False


_K = AgencyKind
_CHILD = frozenset({"kind_name", "kind_geburtsdatum", "geschlecht", "schulpflicht_ab", "schulpflicht_bis"})
_PUPIL = frozenset(
    {"name", "geburtsdatum", "schulname", "klasse", "letzter_anwesenheitstag", "stand", "schultage"}
)
_BUILDING = frozenset(
    {
        "adresse",
        "stichtag",
        "personen",
        "wohnflaeche_m2",
        "m2_je_person",
        "mindestflaeche_m2",
        "wohneinheiten",
    }
)
HINT_ROUTING: dict[str, Routing] = {
    "KG_OHNE_SCHULE": Routing(
        (_K.FAMILIENKASSE,),
        {_K.SCHULAMT: _CHILD},
        "Schulamt: schulpflichtiges Kind ohne Schulanmeldung (Schulpflicht durchsetzen), ohne Kindergelddaten",
    ),
    "KG_NACH_ABMELDUNG": Routing((_K.FAMILIENKASSE,), {}, "nur Familienkasse (Kindergeld)"),
    "KG_KIND_NICHT_GEMELDET": Routing((_K.FAMILIENKASSE,), {}, "nur Familienkasse (Kindergeld)"),
    "KG_DOPPELBEZUG": Routing((_K.FAMILIENKASSE,), {}, "nur Familienkasse (Kindergeld)"),
    "SCHULABSENTISMUS": Routing(
        (_K.SCHULAMT,),
        {_K.JUGENDAMT: _PUPIL},
        "Jugendamt: Kindeswohl (Schüler, Schule, Klasse, Abwesenheit); Schulleitung: eigene Schülerinnen "
        "und Schüler",
        school=True,
    ),
    "SCHULE_OHNE_MELDUNG": Routing((_K.SCHULAMT,), {}, "nur Schulamt"),
    "SEU_NICHT_ERSCHIENEN": Routing(
        (_K.GESUNDHEITSAMT,),
        {
            _K.JUGENDAMT: frozenset(
                {"name", "geburtsdatum", "einschulungsjahr", "einladungsdatum", "stichtag"}
            )
        },
        "Jugendamt: Kind nicht zur Schuleingangsuntersuchung erschienen (Kindeswohl), ohne Kindergeldbetrag",
    ),
    "UEBERBELEGUNG": Routing(
        (_K.BAUAUFSICHT,),
        {_K.WOHNUNGSAUFSICHT: _BUILDING},
        "Wohnungsaufsicht: Überbelegung nach WohnStG NRW (Gebäudedaten und Personenzahl, keine Namen)",
    ),
    "MELDE_FLUKTUATION": Routing(
        (_K.BAUAUFSICHT,),
        {
            _K.WOHNUNGSAUFSICHT: frozenset(
                {
                    "adresse",
                    "stichtag",
                    "bewegungen",
                    "einzuege",
                    "auszuege",
                    "wohneinheiten",
                    "bewegungen_je_wohnung",
                }
            )
        },
        "Wohnungsaufsicht: auffällige Meldebewegungen (Zählwerte, keine Namen)",
    ),
    "SGB2_NACH_ABMELDUNG": Routing((_K.JOBCENTER,), {}, "nur Jobcenter (SGB II)"),
    "ARBEITGEBER_HAEUFUNG": Routing(
        (_K.JOBCENTER,),
        {
            _K.ZOLL: frozenset(
                {"name", "geburtsdatum", "arbeitgeber", "erwerbseinkommen", "beschaeftigte", "minijob_grenze"}
            )
        },
        "Zoll/FKS: Verdacht auf Scheinbeschäftigung (Beschäftigte, Arbeitgeber, Einkommen), ohne Leistungsdaten",
    ),
    "ADRESSE_UNBEKANNT": Routing((_K.FAMILIENKASSE, _K.JOBCENTER), {}, "nur die liefernde Stelle"),
}
del _K

# Agencies that act on every hint of a rule, besides the agency of the hint's primary record.
ACTING_AGENCIES: dict[str, frozenset[str]] = {
    rule: frozenset(routing.acting) for rule, routing in HINT_ROUTING.items() if routing.acting
}
# Rules whose hints the pupil's own school sees.
SCHOOL_RULES: frozenset[str] = frozenset(rule for rule, routing in HINT_ROUTING.items() if routing.school)


def acting_facts(rule: str, agency_kind: str) -> frozenset[str] | None:
    """The facts an acting agency of `agency_kind` sees of a hint of `rule` (None: it does not act on it)."""
    routing = HINT_ROUTING.get(rule)
    return routing.acting.get(agency_kind) if routing else None


# Agencies that never take part in a campaign.
OUTSIDE_CAMPAIGNS = frozenset(
    {AgencyKind.IT, AgencyKind.DATENSCHUTZ, AgencyKind.SCHULE, AgencyKind.STAATSANWALTSCHAFT}
)


@dataclass(frozen=True)
class RoleSpec:
    """One role as data: everything its members may do and see. The texts are German, for the
    documentation. A new role is one such record, registered with :func:`register_role`."""

    code: str  # stable: the name of the role's group and the value in MISSIMO_AUTH_GROUP_ROLES
    label: str  # German, shown to users and in the access documentation
    short: str  # the column header of the access matrix
    agency_kind: str  # the kind of agency the role's members work for (and whose hints they see)
    capabilities: frozenset[Capability]
    hints: HintVisibility = HintVisibility.NONE
    hints_text: str = "keine"
    properties: PropertyVisibility = PropertyVisibility.NONE
    deliveries: frozenset[str] = frozenset()
    delivers_every_source: bool = False  # the coordination office: every registered source
    fields: frozenset[Field] = frozenset()
    # Sources whose person records the role reads where records are shown ("Warum verknüpft?").
    record_sources: frozenset[str] = frozenset()
    personal_data: bool = True  # sees personal data of citizens: second factor required
    fields_text: str = ""
    actions_text: str = ""

    @property
    def delivered_sources(self) -> frozenset[str]:
        """The listed deliveries and every source whose descriptor names the role's agency kind as
        its owner (engine.sources): a seventh source is delivered by its owner without a change here."""
        if self.delivers_every_source:
            return frozenset(engine.SOURCES)
        owned = {name for name, layout in engine.SOURCES.items() if layout.owner == self.agency_kind}
        return self.deliveries | owned

    @property
    def all_capabilities(self) -> frozenset[Capability]:
        """The listed capabilities and those that follow from the scopes."""
        derived = set()
        if self.hints is not HintVisibility.NONE:
            derived.add(Capability.SEE_HINTS)
        if self.properties is not PropertyVisibility.NONE:
            derived.add(Capability.SEE_REGISTER)
        if self.delivered_sources:
            derived.add(Capability.DELIVER)
        return self.capabilities | derived


C = Capability
_ALL_SOURCES = frozenset(SOURCES)
# Roles that take part in case work for their own agency.
_AGENCY_CASEWORK = frozenset(
    {C.WORK_CASES, C.REVIEW_HINTS, C.TAKE_PART_IN_INSPECTIONS, C.RECORD_OUTCOMES, C.RECEIVE_LETTERS}
)

# The registry of roles, in the order of the documentation's columns (filled by register_role).
ROLES: dict[Role, RoleSpec] = {}
_ROLE_OF_CODE: dict[str, Role] = {}


def register_role(spec: RoleSpec) -> Role:
    """Add a role (the catalogue below; a test adds a toy role). Its group is created at the next
    `migrate` (or by `services.ensure_role_groups`); the access matrix, its documentation, the
    administration's role choices and the identity-provider mapping know it at once."""
    if spec.code in _ROLE_OF_CODE:
        raise ValueError(f"Rolle {spec.code!r} ist bereits registriert")
    if not spec.code.isidentifier() or spec.code != spec.code.lower():
        raise ValueError(f"Rollencode {spec.code!r}: nur Kleinbuchstaben, Ziffern und _")
    if any(other.short == spec.short for other in ROLES.values()):
        raise ValueError(f"Kürzel {spec.short!r} ist bereits vergeben")
    role = str.__new__(Role, spec.code)
    _ROLE_OF_CODE[spec.code] = role
    ROLES[role] = spec
    return role


def unregister_role(code: str) -> None:
    """Remove a role added with :func:`register_role` (the catalogue's roles stay: they have members)."""
    if code in CATALOGUE_CODES:
        raise ValueError(f"Rolle {code!r} gehört zum Katalog und bleibt")
    role = _ROLE_OF_CODE.pop(code, None)
    if role is not None:
        del ROLES[role]


CATALOGUE: tuple[RoleSpec, ...] = (
    RoleSpec(
        code="koordinierung",
        label="Koordinierungsstelle (Ordnungsamt)",
        short="KO",
        agency_kind=AgencyKind.ORDNUNGSAMT,
        capabilities=frozenset(
            {
                C.START_RUN,
                C.SEE_RANKING,
                C.SEE_ALL_REJECTED_ROWS,
                C.EDIT_REGISTER,
                C.SEE_ALL_AGENCIES,
                C.MANAGE_CAMPAIGNS,
                C.ASSIGN_CASES,
                C.WORK_CASES,
                C.REVIEW_HINTS,
                C.PLAN_INSPECTIONS,
                C.TAKE_PART_IN_INSPECTIONS,
                C.RECORD_OUTCOMES,
                C.WRITE_LETTERS,
                C.HAND_OVER_CASES,
                C.RECORD_STEERING_DECISIONS,
                C.KEEP_SCHOOL_REGISTER,
                C.SEE_DASHBOARD,
                C.SEE_REPORTS,
                C.SEE_INTERNAL_REPORTS,
                C.JUDGE_LINKS,
            }
        ),
        hints=HintVisibility.ALL,
        hints_text="alle Hinweise aller Stellen (koordiniert die Aktionszeiträume)",
        properties=PropertyVisibility.ALL,
        delivers_every_source=True,
        fields=frozenset({Field.OWNER, Field.RANK, Field.EXPECTED_PERSONS}),
        record_sources=_ALL_SOURCES,
        fields_text="alle Felder der Hinweise (Namen, Geburtsdaten, Belege, Beträge), Eigentümer der Objekte",
        actions_text="Lieferungen aller Quellen, Abgleich starten, Aktionszeiträume und Prüffälle führen und "
        "zuweisen, Kontrollen planen und abschließen, Schreiben entwerfen und im Vier-Augen-Prinzip "
        "freigeben, Objekte bearbeiten, Übersicht und Berichte",
    ),
    RoleSpec(
        code="familienkasse",
        label="Familienkasse",
        short="FK",
        agency_kind=AgencyKind.FAMILIENKASSE,
        capabilities=_AGENCY_CASEWORK | {C.VERIFY_CERTIFICATES},
        hints=HintVisibility.AGENCY,
        hints_text="nur Hinweise der Familienkasse (Kindergeld)",
        properties=PropertyVisibility.WITH_OWN_HINTS,
        record_sources=frozenset({"kindergeld", "melderegister"}),
        fields_text="Felder der eigenen Hinweise (Kind, Geburtsdatum, Kindergeldnummer, Betrag); keine Eigentümer",
        actions_text="Kindergeld liefern, eigene Hinweise sichten und Ergebnisse erfassen, Prüffälle der eigenen "
        "Behörde, Kontrollen mit eigener Beteiligung, Schulbescheinigungen prüfen",
    ),
    RoleSpec(
        code="jobcenter",
        label="Jobcenter",
        short="JC",
        agency_kind=AgencyKind.JOBCENTER,
        capabilities=_AGENCY_CASEWORK,
        hints=HintVisibility.AGENCY,
        hints_text="nur Hinweise des Jobcenters (SGB II)",
        properties=PropertyVisibility.WITH_OWN_HINTS,
        record_sources=frozenset({"jobcenter", "melderegister"}),
        fields_text="Felder der eigenen Hinweise (Bedarfsgemeinschaft, Betrag); keine Eigentümer",
        actions_text="SGB-II-Daten liefern, eigene Hinweise sichten und Ergebnisse erfassen, Prüffälle und "
        "Kontrollen der eigenen Behörde",
    ),
    RoleSpec(
        code="schulamt",
        label="Schulamt",
        short="SA",
        agency_kind=AgencyKind.SCHULAMT,
        capabilities=_AGENCY_CASEWORK | {C.KEEP_SCHOOL_REGISTER},
        hints=HintVisibility.AGENCY,
        hints_text="Hinweise des Schulamts (Schulpflicht) und Kindergeld für Kinder ohne Schulanmeldung",
        properties=PropertyVisibility.WITH_OWN_HINTS,
        record_sources=frozenset({"schule", "melderegister"}),
        fields_text="Felder der eigenen Hinweise (Schüler, Schule, Klasse); keine Eigentümer",
        actions_text="Schuldaten liefern, eigene Hinweise sichten und Ergebnisse erfassen, Prüffälle und "
        "Kontrollen der eigenen Behörde",
    ),
    RoleSpec(
        code="jugendamt",
        label="Jugendamt",
        short="JA",
        agency_kind=AgencyKind.JUGENDAMT,
        capabilities=_AGENCY_CASEWORK,
        hints=HintVisibility.AGENCY,
        hints_text="Hinweise auf Schulabsentismus und nicht erschienene Kinder der Schuleingangsuntersuchung "
        "(Kindeswohl)",
        properties=PropertyVisibility.WITH_OWN_HINTS,
        record_sources=frozenset({"schule", "melderegister"}),
        fields_text="bei Schulabsentismus und nicht wahrgenommener Schuleingangsuntersuchung nur Kind, "
        "Geburtsdatum, Schule/Klasse bzw. Untersuchungstermin (siehe Weiterleitung je Regel); keine Eigentümer",
        actions_text="Hinweise auf Schulabsentismus sichten und Ergebnisse erfassen, Prüffälle und Kontrollen "
        "der eigenen Behörde",
    ),
    RoleSpec(
        code="gesundheitsamt",
        label="Gesundheitsamt",
        short="GA",
        agency_kind=AgencyKind.GESUNDHEITSAMT,
        capabilities=_AGENCY_CASEWORK,
        hints=HintVisibility.AGENCY,
        hints_text="nur Hinweise des Gesundheitsamts (Schuleingangsuntersuchung)",
        properties=PropertyVisibility.WITH_OWN_HINTS,
        record_sources=frozenset({"seu", "melderegister"}),
        fields_text="Felder der eigenen Hinweise (Kind, Untersuchungstermin); keine Eigentümer",
        actions_text="SEU-Daten liefern, eigene Hinweise sichten und Ergebnisse erfassen, Prüffälle und "
        "Kontrollen der eigenen Behörde",
    ),
    RoleSpec(
        code="polizei",
        label="Polizei",
        short="PO",
        agency_kind=AgencyKind.POLIZEI,
        capabilities=frozenset({C.WORK_CASES, C.TAKE_PART_IN_INSPECTIONS, C.RECEIVE_LETTERS}),
        properties=PropertyVisibility.ALL,
        fields=frozenset({Field.OWNER, Field.RANK, Field.EXPECTED_PERSONS}),
        fields_text="keine Hinweisdaten; Adressen, Bewohnerzahl und Eigentümer der Objekte, Namen erwarteter "
        "Personen im Kontrollprotokoll (Identifizierung vor Ort)",
        actions_text="Objekte ansehen, Prüffälle und Kontrollen mit eigener Beteiligung (Namen erwarteter "
        "Personen vor Ort), an die Polizei freigegebene Schreiben",
    ),
    RoleSpec(
        code="bauaufsicht",
        label="Bauaufsicht",
        short="BA",
        agency_kind=AgencyKind.BAUAUFSICHT,
        capabilities=_AGENCY_CASEWORK | {C.EDIT_REGISTER},
        hints=HintVisibility.AGENCY,
        hints_text="nur Hinweise der Bauaufsicht (Gebäudebestand: Überbelegung, Meldebewegungen)",
        properties=PropertyVisibility.ALL,
        fields=frozenset({Field.OWNER, Field.RANK}),
        record_sources=frozenset({"melderegister"}),
        fields_text="Felder der eigenen Hinweise, Bewohnerzahl und Eigentümer der Objekte",
        actions_text="Gebäudebestand liefern, Objekte bearbeiten, Maßnahmen erfassen, eigene Hinweise sichten, "
        "Prüffälle und Kontrollen der eigenen Behörde",
    ),
    RoleSpec(
        code="schule",
        label="Schule",
        short="SCH",
        agency_kind=AgencyKind.SCHULE,
        capabilities=frozenset({C.ISSUE_CERTIFICATES}),
        fields_text="nur die eigenen Schülerinnen und Schüler (für Schulbescheinigungen)",
        actions_text="Schulbescheinigungen für eigene Schülerinnen und Schüler ausstellen und widerrufen",
    ),
    RoleSpec(
        code="datenschutz",
        label="Datenschutzbeauftragte",
        short="DS",
        agency_kind=AgencyKind.DATENSCHUTZ,
        capabilities=frozenset({C.READ_AUDIT_LOG, C.SEE_PRIVACY_REPORTS, C.SEE_REPORTS}),
        personal_data=False,
        fields_text="keine Falldaten; Protokoll, Fairnessbericht und Berichte (nur Summen), Auskunft nach "
        "Art. 15 auf Anfrage",
        actions_text="Protokoll durchsuchen, exportieren und prüfen; Fairnessbericht; Auskunft nach Art. 15; "
        "Berichte (nur Summen)",
    ),
    RoleSpec(
        code="administration",
        label="Administration",
        short="ADM",
        agency_kind=AgencyKind.IT,
        capabilities=frozenset({C.MANAGE_SIGNING_KEYS, C.ADMINISTER_ACCOUNTS}),
        personal_data=False,
        fields_text="keine personenbezogenen Daten von Bürgerinnen und Bürgern; nur Benutzerkonten und Schlüssel",
        actions_text="Benutzerkonten und Rollen verwalten (Verwaltungsoberfläche), Signaturschlüssel der Schulen",
    ),
    # --- the partners of the network (issue 17) ---
    RoleSpec(
        code="wohnungsaufsicht",
        label="Wohnungsaufsicht",
        short="WA",
        agency_kind=AgencyKind.WOHNUNGSAUFSICHT,
        capabilities=_AGENCY_CASEWORK | {C.EDIT_REGISTER},
        hints=HintVisibility.AGENCY,
        hints_text="Überbelegung und auffällige Meldebewegungen (Wohnraumstärkungsgesetz NRW)",
        properties=PropertyVisibility.ALL,
        fields=frozenset({Field.OWNER}),
        fields_text="Gebäudedaten und Personenzahl der Hinweise (keine Namen), Eigentümer der Objekte "
        "(Anordnungen richten sich an sie)",
        actions_text="Objekte ansehen und Maßnahmen erfassen, Hinweise auf Überbelegung sichten und Ergebnisse "
        "erfassen, Prüffälle und Kontrollen der eigenen Behörde",
    ),
    RoleSpec(
        code="zoll",
        label="Zoll/FKS",
        short="ZO",
        agency_kind=AgencyKind.ZOLL,
        capabilities=_AGENCY_CASEWORK,
        hints=HintVisibility.AGENCY,
        hints_text="Häufung von Minijobs bei einem Arbeitgeber (Verdacht auf Scheinbeschäftigung)",
        properties=PropertyVisibility.WITH_OWN_HINTS,
        fields_text="Name, Geburtsdatum, Arbeitgeber und Erwerbseinkommen der Beschäftigten; keine "
        "Leistungsdaten des Jobcenters, keine Eigentümer",
        actions_text="Hinweise zur Arbeitgeber-Häufung sichten und Ergebnisse erfassen, Prüffälle und "
        "gemeinsame Kontrollen der eigenen Behörde, an den Zoll freigegebene Schreiben",
    ),
    RoleSpec(
        code="auslaenderbehoerde",
        label="Ausländerbehörde",
        short="AB",
        agency_kind=AgencyKind.AUSLAENDERBEHOERDE,
        capabilities=frozenset({C.WORK_CASES, C.TAKE_PART_IN_INSPECTIONS, C.RECEIVE_LETTERS}),
        fields_text="keine Hinweisdaten; nur Prüffälle und Kontrollen, an denen die eigene Behörde beteiligt ist",
        actions_text="Prüffälle und Kontrollen mit eigener Beteiligung, an die Ausländerbehörde freigegebene "
        "Schreiben",
    ),
    RoleSpec(
        code="arbeitsschutz",
        label="Arbeitsschutz",
        short="AS",
        agency_kind=AgencyKind.ARBEITSSCHUTZ,
        capabilities=frozenset({C.WORK_CASES, C.TAKE_PART_IN_INSPECTIONS, C.RECEIVE_LETTERS}),
        fields_text="keine Hinweisdaten; nur Prüffälle und gemeinsame Kontrollen (Unterkünfte für "
        "Beschäftigte), an denen die eigene Behörde beteiligt ist",
        actions_text="Prüffälle und gemeinsame Kontrollen mit eigener Beteiligung, an den Arbeitsschutz "
        "freigegebene Schreiben",
    ),
    RoleSpec(
        code="staatsanwaltschaft",
        label="Staatsanwaltschaft",
        short="STA",
        agency_kind=AgencyKind.STAATSANWALTSCHAFT,
        capabilities=frozenset({C.SEE_HANDED_OVER_CASES, C.RECEIVE_LETTERS}),
        fields_text="nur Prüffälle, die im Vier-Augen-Prinzip an die Staatsanwaltschaft abgegeben wurden "
        "(ohne Hinweisdaten anderer Stellen)",
        actions_text="abgegebene Prüffälle lesen, an die Staatsanwaltschaft freigegebene Schreiben",
    ),
    RoleSpec(
        code="schulleitung",
        label="Schulleitung",
        short="SL",
        agency_kind=AgencyKind.SCHULE,
        capabilities=frozenset(),
        hints=HintVisibility.OWN_SCHOOL,
        hints_text="nur Hinweise auf Schulabsentismus der eigenen Schülerinnen und Schüler (nach Schulnummer)",
        fields_text="nur die eigenen Schülerinnen und Schüler (Daten, die die Schule selbst geliefert hat)",
        actions_text="Abwesenheitshinweise der eigenen Schule sichten",
    ),
)
for _spec in CATALOGUE:
    register_role(_spec)
CATALOGUE_CODES = frozenset(spec.code for spec in CATALOGUE)
del C, _spec

# Agencies a letter can be addressed to: those whose staff read released letters to them (a role of
# the catalogue with Capability.RECEIVE_LETTERS).
LETTER_RECIPIENT_KINDS = frozenset(
    spec.agency_kind for spec in CATALOGUE if Capability.RECEIVE_LETTERS in spec.all_capabilities
)

# --- questions about a role --------------------------------------------------------------------


def role_can(role: Role, capability: Capability) -> bool:
    return capability in ROLES[role].all_capabilities


def roles_with(capability: Capability) -> frozenset[Role]:
    return frozenset(role for role in Role if role_can(role, capability))


def role_sees_hint(
    role: Role, agency_kind: str, rule: str, primary_ref: str = "", schulnummer: str = ""
) -> bool:
    """Whether members of `role` (of a school with `schulnummer`) see a hint owned by `agency_kind` of
    rule `rule` with primary record `primary_ref`."""
    spec = ROLES[role]
    if spec.hints is HintVisibility.ALL:
        return True
    if spec.hints is HintVisibility.AGENCY:
        return agency_kind == spec.agency_kind or spec.agency_kind in ACTING_AGENCIES.get(rule, ())
    if spec.hints is HintVisibility.OWN_SCHOOL:
        return is_own_school_hint(rule, primary_ref, schulnummer)
    return False


def is_own_school_hint(rule: str, primary_ref: str, schulnummer: str) -> bool:
    """Whether a hint is about a pupil of the school with `schulnummer` (by its primary record)."""
    return bool(schulnummer) and rule in SCHOOL_RULES and primary_ref.startswith(_school_prefix(schulnummer))


def _school_prefix(schulnummer: str) -> str:
    return f"{SCHOOL_SOURCE}:{schulnummer}/"


def role_of_group(name: str) -> Role | None:
    """The role a group stands for, by the group's name (the role's code); None for other groups."""
    return _ROLE_OF_CODE.get(name)


# --- questions about a user --------------------------------------------------------------------


def roles_of(user) -> frozenset[Role]:
    if user is None or not user.is_authenticated:
        return frozenset()
    return user.roles


def role_labels(user) -> list[str]:
    """The German names of the user's roles, sorted (for the start page and the audit log)."""
    return sorted(str(role.label) for role in roles_of(user))


def can(user, capability: Capability) -> bool:
    """Whether the user (any of their roles) has the capability."""
    return any(role_can(role, capability) for role in roles_of(user))


def sees_field(user, field: Field) -> bool:
    return any(field in ROLES[role].fields for role in roles_of(user))


def record_sources(user) -> frozenset[str]:
    """The sources whose person records the user may read where records are shown."""
    return frozenset(source for role in roles_of(user) for source in ROLES[role].record_sources)


def may_judge_link(user, sources) -> bool:
    """Whether the user may judge a person link between records of `sources` ("nicht dieselbe
    Person"): the coordination office (Capability.JUDGE_LINKS), or an agency delivering every one of
    the sources (the owner of both records). Such a judgement changes the linkage for every agency."""
    if can(user, Capability.JUDGE_LINKS):
        return True
    owned = set(delivery_sources(user))
    sources = set(sources)
    return bool(sources) and sources <= owned and sources <= record_sources(user)


def handles_personal_data(user) -> bool:
    """Whether the user sees personal data of citizens (a second factor is then required)."""
    return any(ROLES[role].personal_data for role in roles_of(user))


def delivery_sources(user) -> list[str]:
    """The sources the user may deliver and see deliveries of, in the order of SOURCES."""
    allowed = {source for role in roles_of(user) for source in ROLES[role].delivered_sources}
    return [source for source in engine.SOURCES if source in allowed]


def property_scope(user) -> PropertyVisibility:
    """Which properties of the register the user sees (the widest of their roles)."""
    return max((ROLES[role].properties for role in roles_of(user)), default=PropertyVisibility.NONE)


@dataclass(frozen=True)
class HintScope:
    """Which hints a user sees: all, or those owned or acted on by some agency kinds, or those about
    the pupils of some schools (by Schulnummer)."""

    all: bool
    agency_kinds: frozenset[str]
    schulnummern: frozenset[str] = frozenset()

    @property
    def none(self) -> bool:
        return not self.all and not self.agency_kinds and not self.schulnummern

    def filter(self, prefix: str = "") -> Q:
        """The condition on `Hint` (`prefix` e.g. "hints__" for a relation) selecting these hints."""
        if self.all:
            return Q()
        if self.none:
            return Q(**{f"{prefix}pk__in": []})
        condition = Q(**{f"{prefix}pk__in": []})
        if self.agency_kinds:
            rules = sorted(rule for rule, kinds in ACTING_AGENCIES.items() if kinds & self.agency_kinds)
            condition |= Q(**{f"{prefix}agency_kind__in": sorted(self.agency_kinds)}) | Q(
                **{f"{prefix}rule__in": rules}
            )
        for schulnummer in sorted(self.schulnummern):
            condition |= Q(
                **{
                    f"{prefix}rule__in": sorted(SCHOOL_RULES),
                    f"{prefix}primary_ref__startswith": _school_prefix(schulnummer),
                }
            )
        return condition

    def facts_shown(self, agency_kind: str, rule: str, primary_ref: str) -> frozenset[str] | None:
        """What of a hint in this scope is shown: None for the whole hint (the user's agency owns its
        data, or the user sees all hints, or it is about the user's own school's pupil); otherwise the
        facts the user's acting agencies need (see :data:`HINT_ROUTING`)."""
        if self.all or agency_kind in self.agency_kinds:
            return None
        if any(is_own_school_hint(rule, primary_ref, number) for number in self.schulnummern):
            return None
        shown: set[str] = set()
        for kind in self.agency_kinds:
            shown |= acting_facts(rule, kind) or frozenset()
        return frozenset(shown)


def hint_scope(user) -> HintScope:
    specs = [ROLES[role] for role in roles_of(user)]
    if any(spec.hints is HintVisibility.ALL for spec in specs):
        return HintScope(True, frozenset())
    kinds = frozenset(spec.agency_kind for spec in specs if spec.hints is HintVisibility.AGENCY)
    schools: frozenset[str] = frozenset()
    agency = getattr(user, "agency", None)
    if any(spec.hints is HintVisibility.OWN_SCHOOL for spec in specs) and agency and agency.schulnummer:
        schools = frozenset({agency.schulnummer})
    return HintScope(False, kinds, schools)


def hint_filter(user, prefix: str = "") -> Q:
    """The condition on `Hint` selecting the hints the user may see (need-to-know)."""
    return hint_scope(user).filter(prefix)


def inspecting_agency_kinds() -> frozenset[str]:
    """The agency kinds whose staff take part in inspections (offered when an inspection is planned)."""
    return frozenset(
        spec.agency_kind
        for role, spec in ROLES.items()
        if role_can(role, Capability.TAKE_PART_IN_INSPECTIONS)
    )


def agency_hint_filter(agency_kind: str, prefix: str = "") -> Q:
    """The condition on `Hint` selecting the hints an agency of `agency_kind` works (owned or acted on),
    e.g. the hints a letter to that agency may mention."""
    return HintScope(False, frozenset({agency_kind})).filter(prefix)


# --- users and agencies ------------------------------------------------------------------------


def users_who_can(capability: Capability, prefix: str = "") -> Q:
    """The condition on `User` selecting the members of every role with the capability."""
    names = sorted(role.group_name for role in roles_with(capability))
    return Q(**{f"{prefix}groups__name__in": names})


def agency_kind_of(role: Role) -> str:
    return ROLES[role].agency_kind


def receives_letters(agency) -> bool:
    return agency is not None and agency.kind in LETTER_RECIPIENT_KINDS
