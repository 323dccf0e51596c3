"""Lists that scale: filtering, sorting and paging of a list page, on the server, without JavaScript.

A list page describes its columns (which of them sort, by which fields) and its filters, and hands
the request and its queryset to :class:`Listing`. The listing reads the query string, refuses what
it cannot use with a German message (an unknown sort key, a date that is no date: the filter is
ignored and the message shown above the list), and gives the template

- ``headers``: one :class:`Header` per column: the link that sorts by it and the ``aria-sort``
  state of the current sort (templates ``web/lists/_thead.html``);
- ``fields``: the filter form with labels (``web/lists/_filters.html``), including the page size;
- ``page`` and ``pages``: the current page and the links to the others (``web/lists/_pager.html``);
- ``queryset``: every row of the filter in the sort order (all pages), for exports, which thus
  keep following the filter; ``querystring`` carries filter and sort to the export link.

Filters of one app's list may come from another app (e.g. the review status of a hint, which the
case work owns, on the Hinweise page of the runs): such an app registers a filter for the list's
name with :func:`register_filter`, and the list page asks :func:`registered_filters`.

Query parameters (German, as in the address bar): ``sortierung`` (``key`` or ``-key``), ``seite``,
``anzahl`` (page size) and one per filter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet

SORT = "sortierung"
PAGE = "seite"
SIZE = "anzahl"
PAGE_SIZES = (25, 50, 100)

__all__ = [
    "ChoiceFilter",
    "Column",
    "DateFilter",
    "Header",
    "ListFilter",
    "Listing",
    "TextFilter",
    "parse_date",
    "register_filter",
    "registered_filters",
    "token_search",
]


@dataclass(frozen=True)
class Column:
    """A column of a list; `order` names the fields it sorts by (empty: not sortable)."""

    key: str
    label: str
    order: tuple[str, ...] = ()
    numeric: bool = False

    @property
    def sortable(self) -> bool:
        return bool(self.order)


@dataclass(frozen=True)
class Header:
    key: str
    label: str
    url: str
    aria_sort: str  # "ascending", "descending" or "" (not sorted by this column)
    sortable: bool
    numeric: bool


@dataclass(frozen=True)
class ListFilter:
    """One filter of the form: a query parameter, its label, and what it does to the queryset."""

    name: str
    label: str
    apply: Callable[[QuerySet, Any], QuerySet]
    kind: str = "text"  # "text", "choice" or "date" (the template renders the matching input)
    hint: str = ""

    def clean(self, raw: str) -> tuple[Any, str]:
        """(value, "") for a usable value, (None, message) for a refused one, (None, "") for none."""
        raw = raw.strip()[:200]
        return (raw or None), ""


@dataclass(frozen=True)
class TextFilter(ListFilter):
    kind: str = "text"


@dataclass(frozen=True)
class ChoiceFilter(ListFilter):
    choices: Sequence[tuple[str, str]] = ()
    empty_label: str = "alle"
    kind: str = "choice"

    def clean(self, raw: str) -> tuple[Any, str]:
        raw = raw.strip()
        if not raw:
            return None, ""
        if raw in {code for code, _label in self.choices}:
            return raw, ""
        return None, f"„{self.label}“: Diese Auswahl gibt es nicht; der Filter ist nicht angewendet."


def token_search(*lookups: str) -> Callable[[QuerySet, str], QuerySet]:
    """A text filter's `apply`: every word of the value must match one of `lookups`
    (e.g. ``"address__icontains"``, ``"objekt_id__iexact"``)."""

    def apply(queryset: QuerySet, value: str) -> QuerySet:
        for token in value.replace(",", " ").split():
            condition = Q()
            for lookup in lookups:
                condition |= Q(**{lookup: token})
            queryset = queryset.filter(condition)
        return queryset

    return apply


_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def parse_date(raw: str) -> dt.date | None:
    """A date as the date field sends it (JJJJ-MM-TT) or as typed in German (TT.MM.JJJJ); else None."""
    raw = raw.strip()
    try:
        if match := _GERMAN_DATE.fullmatch(raw):
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None


@dataclass(frozen=True)
class DateFilter(ListFilter):
    kind: str = "date"

    def clean(self, raw: str) -> tuple[Any, str]:
        raw = raw.strip()
        if not raw:
            return None, ""
        value = parse_date(raw)
        if value is None:
            return None, f"„{self.label}“: Bitte geben Sie ein Datum im Format TT.MM.JJJJ an."
        return value, ""


_registered: dict[str, list[Callable[[object], ListFilter | None]]] = {}


def register_filter(list_name: str, factory: Callable[[object], ListFilter | None]) -> None:
    """Add a filter to another app's list: `factory(user)` returns it (or None where it does not apply)."""
    factories = _registered.setdefault(list_name, [])
    if factory not in factories:
        factories.append(factory)


def registered_filters(list_name: str, user) -> list[ListFilter]:
    return [f for factory in _registered.get(list_name, []) if (f := factory(user)) is not None]


@dataclass
class FilterField:
    """A filter as the form shows it: the filter, its current value as text, and its message."""

    filter: ListFilter
    value: str
    error: str

    @property
    def id(self) -> str:
        return f"filter-{self.filter.name}"


@dataclass
class PageLink:
    number: int | None  # None: the gap "…"
    url: str = ""
    current: bool = False


@dataclass
class Listing:
    """The filtered, sorted and paged rows of one list page; see the module documentation."""

    request: Any
    queryset: QuerySet
    columns: Sequence[Column]
    default_sort: str
    filters: Sequence[ListFilter] = ()
    page_sizes: Sequence[int] = PAGE_SIZES
    default_size: int = 50
    tie_breaker: str = "pk"
    # Parameters of a filter form the page keeps itself (not ListFilters): carried into every link.
    carry: dict[str, str] | None = None

    def __post_init__(self) -> None:
        params = self.request.GET
        self.values: dict[str, Any] = {}
        self.fields: list[FilterField] = []
        self.errors: list[str] = []
        queryset = self.queryset
        empty = queryset.query.is_empty()
        for list_filter in self.filters:
            raw = params.get(list_filter.name, "")
            value, error = list_filter.clean(raw)
            self.fields.append(FilterField(list_filter, raw.strip()[:200] if not error else raw[:200], error))
            if error:
                self.errors.append(error)
            elif value is not None:
                self.values[list_filter.name] = value
                if not empty:
                    queryset = list_filter.apply(queryset, value)
        self.sort_key, self.descending = self._sort(params.get(SORT, ""))
        # An empty list (e.g. no run yet: `.none()` without the annotations the sort names) is not sorted.
        self.queryset = queryset if empty else queryset.order_by(*self._ordering())
        self.size = self._size(params.get(SIZE, ""))
        self.page: Page = Paginator(self.queryset, self.size).get_page(params.get(PAGE))

    # --- sorting ------------------------------------------------------------------------------

    def _columns(self) -> dict[str, Column]:
        return {column.key: column for column in self.columns if column.sortable}

    def _sort(self, raw: str) -> tuple[str, bool]:
        raw = raw.strip()
        key = raw.removeprefix("-")
        if key in self._columns():
            return key, raw.startswith("-")
        if raw:
            self.errors.append(
                "Nach dieser Angabe lässt sich die Liste nicht sortieren; sie ist wie üblich sortiert."
            )
        default = self.default_sort.removeprefix("-")
        return default, self.default_sort.startswith("-")

    def _ordering(self) -> list:
        column = self._columns()[self.sort_key]
        fields = [
            F(name).desc(nulls_last=True) if self.descending else F(name).asc(nulls_last=True)
            for name in column.order
        ]
        return [*fields, self.tie_breaker]

    @property
    def sort(self) -> str:
        return f"-{self.sort_key}" if self.descending else self.sort_key

    @property
    def sort_label(self) -> str:
        column = self._columns()[self.sort_key]
        return f"{column.label} ({'absteigend' if self.descending else 'aufsteigend'})"

    @property
    def headers(self) -> list[Header]:
        headers = []
        for column in self.columns:
            current = column.key == self.sort_key
            if current:
                aria = "descending" if self.descending else "ascending"
                target = column.key if self.descending else f"-{column.key}"
            else:
                aria, target = "", column.key
            headers.append(
                Header(
                    key=column.key,
                    label=column.label,
                    url=self.url(**{SORT: target, PAGE: None}) if column.sortable else "",
                    aria_sort=aria,
                    sortable=column.sortable,
                    numeric=column.numeric,
                )
            )
        return headers

    @property
    def sort_options(self) -> list[tuple[str, str]]:
        """The sort orders as choices of a select (for lists shown as cards, not as a table)."""
        options = []
        for column in self.columns:
            if column.sortable:
                options.append((column.key, f"{column.label} (aufsteigend)"))
                options.append((f"-{column.key}", f"{column.label} (absteigend)"))
        return options

    # --- paging -------------------------------------------------------------------------------

    def _size(self, raw: str) -> int:
        if raw.strip().isascii() and raw.strip().isdigit() and int(raw) in self.page_sizes:
            return int(raw)
        return self.default_size

    @property
    def pages(self) -> list[PageLink]:
        """Links to the first, last and neighbouring pages, with gaps; empty for a single page."""
        count = self.page.paginator.num_pages
        if count <= 1:
            return []
        wanted = {1, count, *range(self.page.number - 2, self.page.number + 3)}
        links: list[PageLink] = []
        previous = 0
        for number in sorted(n for n in wanted if 1 <= n <= count):
            if number > previous + 1:
                links.append(PageLink(None))
            links.append(PageLink(number, self.url(**{PAGE: str(number)}), number == self.page.number))
            previous = number
        return links

    @property
    def previous_url(self) -> str:
        return self.url(**{PAGE: str(self.page.previous_page_number())}) if self.page.has_previous() else ""

    @property
    def next_url(self) -> str:
        return self.url(**{PAGE: str(self.page.next_page_number())}) if self.page.has_next() else ""

    # --- addresses ----------------------------------------------------------------------------

    def params(self, **overrides: str | None) -> dict[str, str]:
        """Filter, sort and page size as query parameters (only those that differ from the default)."""
        params: dict[str, str] = {key: value for key, value in (self.carry or {}).items() if value}
        params.update({f.filter.name: f.value for f in self.fields if f.value and not f.error})
        if self.sort != self.default_sort:
            params[SORT] = self.sort
        if self.size != self.default_size:
            params[SIZE] = str(self.size)
        for key, value in overrides.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        if params.get(SORT) == self.default_sort:
            del params[SORT]
        return params

    @property
    def querystring(self) -> str:
        """Filter and sort (no page) for an export link: the export has every row of the filter."""
        return urlencode(self.params())

    @property
    def page_querystring(self) -> str:
        """Everything, including the page: the address to come back to after an action."""
        return urlencode(self.params(**{PAGE: str(self.page.number)} if self.page.number > 1 else {}))

    def url(self, **overrides: str | None) -> str:
        query = urlencode(self.params(**overrides))
        return f"?{query}" if query else "?"

    @property
    def filtered(self) -> bool:
        return bool(self.values)

    def audit_details(self) -> dict[str, Any]:
        """What the audit log notes of a list read: filter, sort and page."""
        return {
            "filters": {name: str(value) for name, value in self.values.items()},
            "sort": self.sort,
            "page": self.page.number,
        }
