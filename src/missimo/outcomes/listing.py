"""The per-agency list "Ergebnisse": the hints of one run the agency records for, with its outcome
and measures; the page and its CSV/XLSX export show the same rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, DateField, OuterRef, Prefetch, Q, QuerySet, Subquery

from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core import lists, tables
from missimo.core.params import row_id
from missimo.outcomes.models import AgencyMeasure, Outcome, OutcomeResult
from missimo.outcomes.services import RULE_TITLES, may_record, recordable_hints, visible_cases
from missimo.runs.models import Hint, Run, RunStatus
from missimo.runs.services import hints_of_run, latest_run, shown_to

STATUS_FILTERS = [("offen", "noch kein Ergebnis"), ("erfasst", "Ergebnis erfasst"), *OutcomeResult.choices]


@dataclass(frozen=True)
class ListQuery:
    run: int | None = None
    status: str = ""
    rule: str = ""
    q: str = ""

    @classmethod
    def from_params(cls, params) -> ListQuery:
        run = row_id(params.get("abgleich", ""))
        status = params.get("status", "")
        rule = params.get("regel", "")
        return cls(
            run=run,
            status=status if status in dict(STATUS_FILTERS) else "",
            rule=rule if rule in RULE_TITLES else "",
            q=params.get("q", "").strip()[:200],
        )

    def as_params(self) -> dict[str, str]:
        params = {
            "abgleich": str(self.run) if self.run else "",
            "status": self.status,
            "regel": self.rule,
            "q": self.q,
        }
        return {key: value for key, value in params.items() if value}


def runs_for_list() -> QuerySet[Run]:
    return Run.objects.filter(status=RunStatus.FINISHED).order_by("-finished_at", "-id")


def listed_hints(user, query: ListQuery) -> QuerySet[Hint]:
    """Hints of one run the user's agency may record for, with the agency's outcome annotated."""
    run = runs_for_list().filter(pk=query.run).first() if query.run else latest_run()
    if run is None or not may_record(user):
        return Hint.objects.none()
    own = Outcome.objects.filter(hint__hint_id=OuterRef("hint_id"), agency=user.agency_id).order_by("-pk")
    queryset = (
        recordable_hints(user)
        .filter(pk__in=hints_of_run(run).values("pk"))
        .annotate(
            outcome_result=Subquery(own.values("result")[:1], output_field=CharField()),
            outcome_decided_on=Subquery(own.values("decided_on")[:1], output_field=DateField()),
        )
        # only the case numbers of cases the user may see (another agency's campaign stays hidden)
        .prefetch_related(Prefetch("cases", queryset=visible_cases(user), to_attr="case_list"))
    )
    if query.status == "offen":
        queryset = queryset.filter(outcome_result__isnull=True)
    elif query.status == "erfasst":
        queryset = queryset.filter(outcome_result__isnull=False)
    elif query.status:
        queryset = queryset.filter(outcome_result=query.status)
    if query.rule:
        queryset = queryset.filter(rule=query.rule)
    # The record key is searched only in the agency's own hints: an agency that acts on another's
    # hint (e.g. the Schulamt on a Kindergeld hint) must not learn whether a key it types exists.
    own_data = Q(agency_kind=getattr(user.agency, "kind", None))
    for token in query.q.replace(",", " ").split():
        queryset = queryset.filter(
            Q(address__icontains=token)
            | Q(hint_id__iexact=token)
            | (own_data & Q(primary_ref__icontains=token))
        )
    return queryset.order_by("address", "rule", "primary_ref", "pk")


COLUMNS = [
    ("hint_id", "Hinweis-ID"),
    ("regel", "Regel"),
    ("adresse", "Adresse"),
    ("beleg", "Beleg"),
    ("aktenzeichen", "Prüffall"),
    ("ergebnis", "Ergebnis"),
    ("festgestellt", "festgestellt am"),
    ("massnahmen", "Maßnahmen"),
    ("eingestellt", "eingestellt €/Monat"),
    ("rueckforderung", "Rückforderung €"),
    ("einsparung", "Einsparung bis 18 €"),
]
MONEY_COLUMNS = {"eingestellt", "rueckforderung", "einsparung"}
# The columns the page sorts by (the sums of measures are computed per row and do not sort).
SORT_FIELDS = {
    "hint_id": ("hint_id",),
    "regel": ("rule", "address", "primary_ref"),
    "adresse": ("address", "rule", "primary_ref"),
    "beleg": ("primary_ref",),
    "ergebnis": ("outcome_result", "address"),
    "festgestellt": ("outcome_decided_on", "address"),
}
LIST_COLUMNS = tuple(
    lists.Column(key, label, SORT_FIELDS.get(key, ()), numeric=key in MONEY_COLUMNS) for key, label in COLUMNS
)


def _money_sum(measures, field: str) -> Decimal | None:
    values = [getattr(m, field) for m in measures if getattr(m, field) is not None]
    return sum(values, Decimal("0.00")) if values else None


def own_measures_by_hint_id(user) -> dict[str, list[AgencyMeasure]]:
    """The active measures of the user's agency, by hint id (measures of earlier runs included)."""
    found: dict[str, list[AgencyMeasure]] = {}
    if not user.agency_id:
        return found
    queryset = (
        AgencyMeasure.objects.active()
        .filter(agency=user.agency_id)
        .select_related("hint")
        .order_by("taken_on", "id")
    )
    for measure in queryset:
        found.setdefault(measure.hint.hint_id, []).append(measure)
    return found


def row_of(hint: Hint, measures_by_hint_id: dict[str, list[AgencyMeasure]]) -> list:
    measures = measures_by_hint_id.get(hint.hint_id, [])
    labels = dict(OutcomeResult.choices)
    return [
        hint.hint_id,
        RULE_TITLES.get(hint.rule, hint.rule),
        hint.address,
        hint.primary_ref,
        ", ".join(case.aktenzeichen for case in getattr(hint, "case_list", [])),
        str(labels[hint.outcome_result]) if hint.outcome_result else "offen",
        hint.outcome_decided_on,
        ", ".join(f"{m.get_kind_display()} ({m.taken_on:%d.%m.%Y})" for m in measures),
        _money_sum(measures, "monthly_amount"),
        _money_sum(measures, "reclaimed_amount"),
        _money_sum(measures, "projected_savings"),
    ]


def export(user, query: ListQuery, fmt: str, *, request=None, hints=None) -> bytes:
    """The listed hints (`hints`: the page's rows in its sort order, all pages) with the agency's
    outcomes and measures as CSV or XLSX (euro amounts as numbers in XLSX); audited."""
    measures = own_measures_by_hint_id(user)
    hints = shown_to(user, listed_hints(user, query) if hints is None else hints)
    rows = [row_of(hint, measures) for hint in hints]
    money = [i for i, (key, _) in enumerate(COLUMNS) if key in MONEY_COLUMNS]
    content = tables.table_bytes(
        [label for _, label in COLUMNS], rows, fmt, "Ergebnisse", money_columns=money
    )
    _record_export(user, fmt, query, [hint.hint_id for hint in hints], request)
    return content


def _record_export(user, fmt: str, query: ListQuery, ids: list[str], request) -> None:
    record(
        user,
        AuditAction.EXPORT,
        object_type="outcome_list",
        purpose="Export der Ergebnisliste",
        details={"format": fmt, "filters": query.as_params(), "hints": ids},
        request=request,
    )
