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
import io
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
            "headlines": fig.headlines(figures),
            "created": timezone.localtime(),
            "suppress_below": fig.SUPPRESS_BELOW,
        },
    )
    # PDF/UA-1: tagged (structure tree, reading order, table headers), language de, title shown.
    return HTML(string=html).write_pdf(uncompressed_pdf=not compress, pdf_variant="pdf/ua-1")


def export_docx(report: ReportRequest, figures: fig.Figures) -> bytes:
    """The report as an editable Word document (DOCX) for the council paper: the headline figures
    first, then every table under its section heading; sections with wide tables on landscape
    pages. Charts are left out: the tables carry their numbers, and the council paper's own
    layout decides on pictures."""
    import docx
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    document = docx.Document()
    document.core_properties.title = report.title
    document.core_properties.language = "de-DE"
    document.core_properties.author = "MISSIMO – Koordinierungsstelle"
    document.core_properties.subject = f"Zeitraum {report.period_text}"
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    _docx_language(document, "de-DE")

    def page(section, landscape: bool) -> None:
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        long, short = Mm(297), Mm(210)
        section.page_width, section.page_height = (long, short) if landscape else (short, long)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Mm(18))

    page(document.sections[0], landscape=False)
    document.add_heading(report.title, level=0)
    for line in _meta_lines(report, figures)[1:]:
        document.add_paragraph(line[0])
    document.add_paragraph(f"Erstellt am {timezone.localtime():%d.%m.%Y %H:%M} Uhr mit MISSIMO.")
    document.add_heading("Das Wichtigste in Zahlen", level=1)
    for headline in fig.headlines(figures):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{headline.label}: ").bold = True
        paragraph.add_run(headline.text).bold = True
        paragraph.add_run(f" – {headline.explanation}")

    landscape = False
    for section in figures.sections:
        if section.wide != landscape:
            landscape = section.wide
            page(document.add_section(WD_SECTION.NEW_PAGE), landscape)
        document.add_heading(section.title, level=1)
        if section.note:
            document.add_paragraph(section.note)
        if not section.available:
            document.add_paragraph("Keine Daten für diesen Abschnitt.")
        for table in section.tables:
            heading = document.add_heading(table.title, level=2)
            heading.paragraph_format.keep_with_next = True
            rows = table.printed()
            numeric = [False, *table.printed_numeric]
            grid = document.add_table(rows=1 + len(rows), cols=len(table.printed_header))
            grid.style = "Table Grid"
            grid.alignment = WD_TABLE_ALIGNMENT.CENTER
            for column, text in enumerate(table.printed_header):
                cell = grid.rows[0].cells[column]
                cell.text = text
                cell.paragraphs[0].runs[0].bold = True
            _docx_repeat_header(grid.rows[0])
            for r, (label, cells, is_total) in enumerate(rows, start=1):
                for column, text in enumerate([label, *cells]):
                    cell = grid.rows[r].cells[column]
                    cell.text = text
                    if numeric[column]:
                        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
                    if is_total:
                        cell.paragraphs[0].runs[0].bold = True
            if not rows:
                document.add_paragraph("Keine Daten im Zeitraum.")
            if table.note:
                document.add_paragraph(table.note)
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def _docx_language(document, language: str) -> None:
    """Word's proofing language of the default style (w:lang), so hyphenation and spelling are German."""
    from docx.oxml.ns import qn
    from docx.oxml.shared import OxmlElement

    rpr = document.styles["Normal"].element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), language)
    lang.set(qn("w:eastAsia"), language)
    rpr.append(lang)


def _docx_repeat_header(row) -> None:
    """The header row repeats on every page a long table runs over."""
    from docx.oxml.ns import qn
    from docx.oxml.shared import OxmlElement

    trpr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def charts_of(figures: fig.Figures, *, prefix: str = "diagramm") -> dict[str, str]:
    return {table.key: bar_chart(table, id_prefix=prefix) for table in figures.tables if table.chart}


EXPORTS = {
    "csv": (export_csv, "text/csv; charset=utf-8"),
    "xlsx": (export_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": (export_pdf, "application/pdf"),
    "docx": (export_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}
