"""Reports: who may see them, which report a request asks for, and the files (PDF, XLSX, CSV).

Every format renders the same `figures.Table`s, so a download contains exactly what the page shows.

Access (documented in docs/handbuch/berichte.md):
- the coordination office (`Capability.SEE_DASHBOARD`, `SEE_INTERNAL_REPORTS`) sees the dashboard
  and every report, internal (exact numbers) and public (small cells suppressed);
- the data-protection officer (`Capability.SEE_REPORTS` only) sees the public version of the
  reports, to check before publication that it contains no personal data;
- everybody else gets a 404, like every page outside a user's scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone

from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.casework.models import Campaign
from missimo.core import tables
from missimo.reports import figures as fig
from missimo.reports.charts import bar_chart

INTERN = "intern"
OEFFENTLICH = "oeffentlich"
JAHRESBERICHT = "jahresbericht"
ABSCHLUSSBERICHT = "abschlussbericht"


def campaigns():

    return Campaign.objects.order_by("-start", "-id")


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The dashboard's default: the current calendar year up to today."""
    today = today or timezone.localdate()
    return today.replace(month=1, day=1), today


@dataclass(frozen=True)
class ReportRequest:
    kind: str
    start: dt.date
    end: dt.date
    version: str
    campaign: object = None

    @property
    def is_public(self) -> bool:
        return self.version == OEFFENTLICH

    @property
    def title(self) -> str:
        if self.kind == ABSCHLUSSBERICHT:
            title = "Abschlussbericht des Aktionszeitraums"
            if not self.is_public and self.campaign is not None:
                title += f" „{self.campaign.name}“"
        elif self.start == dt.date(self.start.year, 1, 1) and self.end == dt.date(self.start.year, 12, 31):
            title = f"Jahresbericht {self.start.year}"
        else:
            title = "Fortschrittsbericht"
        return title + (" (öffentliche Fassung)" if self.is_public else "")

    @property
    def period_text(self) -> str:
        return f"{self.start:%d.%m.%Y} bis {self.end:%d.%m.%Y}"

    @property
    def slug(self) -> str:
        name = self.kind if self.kind == ABSCHLUSSBERICHT else "bericht"
        return f"{name}_{self.start:%Y-%m-%d}_{self.end:%Y-%m-%d}_{self.version}"

    def audit_details(self) -> dict:
        return {
            "art": self.kind,
            "von": self.start.isoformat(),
            "bis": self.end.isoformat(),
            "fassung": self.version,
            "aktionszeitraum": getattr(self.campaign, "pk", None),
        }


def figures_of(report: ReportRequest) -> fig.Figures:
    figures = fig.figures_for(report.start, report.end, campaign=report.campaign)
    return fig.public(figures) if report.is_public else figures


def audit(user, report: ReportRequest, *, fmt: str = "", request=None, dashboard: bool = False) -> None:
    details = report.audit_details()
    if fmt:
        details["format"] = fmt
    record(
        user,
        AuditAction.EXPORT if fmt else AuditAction.READ,
        object_type="report_dashboard" if dashboard else "report",
        object_id=report.kind,
        purpose=(
            "Übersicht der Koordinierungsstelle (nur Summen)"
            if dashboard
            else f"Bericht erstellen: {report.title} (nur Summen)"
        ),
        details=details,
        request=request,
    )


# --- files ------------------------------------------------------------------------------------


def _meta_lines(report: ReportRequest, figures: fig.Figures) -> list[list[str]]:
    lines = [[report.title], [f"Zeitraum: {report.period_text}"]]
    if figures.public:
        lines.append([f"Öffentliche Fassung: Felder mit weniger als {fig.SUPPRESS_BELOW} Fällen „< 10“."])
    return lines


def export_csv(report: ReportRequest, figures: fig.Figures) -> bytes:
    """All tables one below the other: a title line, the header, the rows (core.tables CSV)."""
    lines: list[list] = _meta_lines(report, figures)
    for section in figures.sections:
        lines += [[], [section.title]]
        if not section.available:
            lines.append([fig.NO_DATA])
            continue
        for table in section.tables:
            lines += [[table.title], table.header, *table.body()]
    return tables.csv_document(lines)


def export_xlsx(report: ReportRequest, figures: fig.Figures) -> bytes:
    """A cover sheet and one sheet per table: header row, rows, total row."""
    book = tables.Workbook()
    cover = book.sheet("Bericht")
    for n, line in enumerate(_meta_lines(report, figures)):
        cover.append(line, style="title" if n == 0 else "")
    cover.append([])
    cover.append(["Abschnitt", "Tabelle", "Blatt"])
    for section in figures.sections:
        if not section.available:
            cover.append([section.title, fig.NO_DATA, ""])
            continue
        for table in section.tables:
            sheet = book.sheet(table.title)
            cover.append([section.title, table.title, sheet.name])
            sheet.append(table.header, style="bold")
            money = [column + 1 for column in table.money_columns]
            for row in table.body():
                sheet.append(row, money_columns=money)
            sheet.column_width(0, 40)
    return book.close()


def export_pdf(report: ReportRequest, figures: fig.Figures, *, compress: bool = True) -> bytes:
    """The report as PDF (WeasyPrint): the same charts (SVG) and tables as the page."""
    from weasyprint import HTML

    html = render_to_string(
        "reports/pdf.html",
        {
            "report": report,
            "figures": figures,
            "charts": charts_of(figures, prefix="pdf"),
            "created": timezone.localtime(),
            "suppress_below": fig.SUPPRESS_BELOW,
        },
    )
    return HTML(string=html).write_pdf(uncompressed_pdf=not compress)


def charts_of(figures: fig.Figures, *, prefix: str = "diagramm") -> dict[str, str]:
    return {table.key: bar_chart(table, id_prefix=prefix) for table in figures.tables if table.chart}


EXPORTS = {
    "csv": (export_csv, "text/csv; charset=utf-8"),
    "xlsx": (export_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": (export_pdf, "application/pdf"),
}
