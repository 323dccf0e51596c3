"""The annual report as a council paper: every page of the PDF is rendered to an image and checked
that nothing lies outside the page's printable area, wide tables stand on landscape pages, no
heading is left alone at the bottom of a page, the PDF is tagged (PDF/UA-1, German), the first page
carries the headline figures, and the DOCX holds the same headline figures and tables."""

import datetime as dt
import io
import os
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from missimo.accounts.models import Agency, AgencyKind
from missimo.reports import figures as fig
from missimo.reports import services
from tests.app.test_reports import YEAR_END, YEAR_START, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(databases="__all__")

MM = 72 / 25.4  # PDF points per millimetre
MARGIN_TOLERANCE = 6 * MM  # the page margins are 16 mm; content may not reach into the outer 10 mm
LONG_NAMES = [
    "Familienkasse Nordrhein-Westfalen Ost (Inkasso-Service)",
    "Jobcenter Musterstadt, Geschäftsstelle Innenstadt",
    "Schulamt für die Stadt Musterstadt",
    "Ordnungsamt, Abteilung Einwohnerwesen",
    "Bauordnungsamt, Wohnungsaufsicht",
    "Finanzamt Musterstadt-Süd",
]


@pytest.fixture
def busy_year(world):  # noqa: F811
    """The test year plus six agencies with long names and a measure of every kind: the table
    "Maßnahmen je Behörde" has every column filled, as in a real year."""
    from missimo.outcomes.models import AgencyMeasure, MeasureKind

    kinds = [kind for kind, _ in MeasureKind.choices]
    for n, name in enumerate(LONG_NAMES):
        agency = Agency.objects.create(name=name, kind=AgencyKind.ORDNUNGSAMT)
        for m, kind in enumerate(kinds):
            for k in range(n + m + 1):
                AgencyMeasure.objects.create(
                    hint=world.kg[(n + m + k) % len(world.kg)],
                    agency=agency,
                    kind=kind,
                    taken_on=dt.date(2026, 1 + (n + k) % 12, 1 + m),
                    monthly_amount=Decimal("255.00") if kind == "kindergeld_eingestellt" else None,
                    projected_savings=Decimal("12750.00") if kind == "kindergeld_eingestellt" else None,
                    reclaimed_amount=Decimal("1200.00") if kind == "rueckforderung" else None,
                )
    return world


def _report(version=services.INTERN):
    return services.ReportRequest(services.JAHRESBERICHT, YEAR_START, YEAR_END, version)


def _pdf(version=services.INTERN) -> tuple[bytes, fig.Figures]:
    report = _report(version)
    figures = services.figures_of(report)
    return services.export_pdf(report, figures), figures


def _pages(content: bytes):
    document = pdfium.PdfDocument(content)
    keep = os.environ.get("MISSIMO_REPORT_PNG")  # a directory: keep the page images to look at
    for number, page in enumerate(document, start=1):
        image = page.render(scale=1).to_pil().convert("L")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            page.render(scale=1.5).to_pil().save(Path(keep) / f"seite-{number:02d}.png")
        yield number, page, image


def _lines(page) -> list[str]:
    text = page.get_textpage().get_text_range()
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("version", [services.INTERN, services.OEFFENTLICH])
def test_no_text_or_drawing_of_any_page_lies_outside_the_printable_area(busy_year, version):
    content, _ = _pdf(version)
    pages = 0
    for number, page, image in _pages(content):
        pages += 1
        width, height = page.get_size()
        textpage = page.get_textpage()
        for index in range(textpage.count_chars()):
            left, bottom, right, top = textpage.get_charbox(index)
            if right - left <= 0:
                continue  # spaces and line ends have no box
            assert left >= MARGIN_TOLERANCE and right <= width - MARGIN_TOLERANCE, (number, index)
            assert bottom >= 0 and top <= height, (number, index)
        # the image: the outer 10 mm on the left and right of every page stay white
        strip = round(10 * MM * image.width / width)
        for box in ((0, 0, strip, image.height), (image.width - strip, 0, image.width, image.height)):
            assert image.crop(box).getextrema()[0] >= 250, f"Seite {number}: Inhalt am Rand"
    assert pages >= 3


def test_the_table_massnahmen_je_behoerde_is_printed_as_one_row_per_agency_and_measure_kind(busy_year):
    """Fifteen measure kinds do not fit as columns without hyphenating every heading: the printed
    table has one row per agency and measure kind (and each agency's sum), on portrait pages, and
    every kind and every agency's full name stays readable without a hyphen."""
    from missimo.outcomes.models import MeasureKind

    content, figures = _pdf()
    table = figures.table("massnahmen_behoerde")
    assert not table.wide and len(table.columns) == len(MeasureKind.choices) + 1  # the figures stay a matrix
    assert table.printed_header == ["Behörde", "Maßnahme", "Anzahl"]
    printed = table.printed()
    for name in LONG_NAMES:
        rows = [cells for label, cells, _ in printed if label == name]
        assert [kind for kind, _ in rows] == [str(label) for _, label in MeasureKind.choices] + ["Summe"]
        assert rows[-1][1] == str(table.value(name, "Summe"))
    texts = []
    for _, page, _ in _pages(content):
        text = page.get_textpage().get_text_range()
        texts.append((page, text, "".join(text.split())))
    pages = [(page, text) for page, text, joined in texts if "BehördeMaßnahmeAnzahl" in joined]
    assert pages
    for page, _ in pages:
        width, height = page.get_size()
        assert width < height  # portrait
    everything = "\n".join(text for _, text in pages)
    assert "\u2010" not in everything and "\u00ad" not in everything  # nothing hyphenated
    for _, label in MeasureKind.choices:
        assert str(label) in everything
    for name in LONG_NAMES:
        assert name in everything.replace("\r", "").replace("\n", " ") or name.split()[0] in everything


def test_no_heading_is_left_alone_at_the_bottom_of_a_page(busy_year):
    content, figures = _pdf()
    headings = {section.title for section in figures.sections} | {t.title for t in figures.tables}
    for number, page, _ in _pages(content):
        lines = [line for line in _lines(page) if not line.startswith("Seite ")]
        assert lines, number
        assert lines[-1] not in headings, f"Seite {number} endet mit der Überschrift „{lines[-1]}“"


def test_the_pdf_is_tagged_german_and_declares_pdf_ua(busy_year):
    report = _report()
    figures = services.figures_of(report)
    content = services.export_pdf(report, figures, compress=False)
    document = pdfium.PdfDocument(content)
    assert pdfium_c.FPDFCatalog_IsTagged(document.raw)
    assert b"/StructTreeRoot" in content and b"/Lang (de)" in content
    assert b"pdfuaid:part" in content  # the PDF/UA identification in the XMP metadata


def test_the_first_page_carries_the_headline_figures_and_no_rule_codes(busy_year):
    content, figures = _pdf()
    first = " ".join(_lines(pdfium.PdfDocument(content)[0]))
    assert "Das Wichtigste in Zahlen" in first
    for headline in fig.headlines(figures):
        assert headline.label in first
    assert fig.suspicion_cases(figures) == 4  # the four cases opened on 20.02.2026
    assert fig.properties_visited(figures) == 1
    everything = "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(content))
    for code in ("KG_OHNE_SCHULE", "SCHULABSENTISMUS", "UEBERBELEGUNG"):
        assert code not in everything
    rows = figures.table("hinweise_regel_status").column_values()
    assert "Kindergeld für ein schulpflichtiges Kind ohne Schulanmeldung" in rows
    assert "Kindergeld für" in everything


def test_no_value_label_of_a_chart_is_cut_at_its_right_edge(busy_year):
    from missimo.reports.charts import CHAR_WIDTH, LABEL_WIDTH, WIDTH, bar_space_for, series_of

    for table in fig.figures_for(YEAR_START, YEAR_END).tables:
        series = series_of(table)
        space = bar_space_for(table, series)
        for label, cells, is_total in table.display():
            if is_total:
                continue
            for column in series:
                text = cells[column] if len(series) == 1 else f"{table.columns[column]}: {cells[column]}"
                assert LABEL_WIDTH + space + 6 + len(text) * CHAR_WIDTH <= WIDTH, (table.key, label, text)


def test_the_headline_figures_are_the_totals_of_the_tables(busy_year):
    from missimo.outcomes.models import AgencyMeasure

    figures = fig.figures_for(YEAR_START, YEAR_END)
    active = AgencyMeasure.objects.active().filter(taken_on__gte=YEAR_START, taken_on__lte=YEAR_END)
    stopped = sum(m.monthly_amount or 0 for m in active)
    assert fig.payments_stopped(figures) == stopped
    assert fig.projected_savings(figures) == sum(m.projected_savings or 0 for m in active)
    assert fig.help_referrals(figures) == active.filter(kind__in=["schulpflicht", "seu_nachgeholt"]).count()
    assert fig.school_participation(figures) is None  # no delivery of the schools: "keine Daten"
    texts = {h.key: h.text for h in fig.headlines(figures)}
    assert texts["schulen"] == "keine Daten"
    assert texts["eingestellt"].endswith("€ je Monat")


def test_a_suppressed_part_makes_help_referrals_a_lower_bound_in_the_public_version(world):  # noqa: F811
    public = fig.public(fig.figures_for(YEAR_START, YEAR_END))
    assert fig.help_referrals(public) == fig.SUPPRESSED  # one Schulpflichtmaßnahme: "< 10"


def test_the_docx_holds_the_headline_figures_and_every_table_on_fitting_pages(busy_year):
    import docx
    from docx.enum.section import WD_ORIENT

    report = _report()
    figures = services.figures_of(report)
    document = docx.Document(io.BytesIO(services.export_docx(report, figures)))
    assert document.core_properties.title == "Jahresbericht 2026"
    assert document.core_properties.language == "de-DE"
    text = "\n".join(p.text for p in document.paragraphs)
    for headline in fig.headlines(figures):
        assert headline.label in text and headline.text in text
    assert len(document.tables) == len(figures.tables)
    for table, found in zip(figures.tables, document.tables, strict=True):
        assert [c.text for c in found.rows[0].cells] == table.printed_header
        assert [[c.text for c in row.cells] for row in found.rows[1:]] == [
            [label, *cells] for label, cells, _ in table.printed()
        ]
    orientations = [section.orientation for section in document.sections]
    assert orientations[0] == WD_ORIENT.PORTRAIT
    assert (WD_ORIENT.LANDSCAPE in orientations) == any(section.wide for section in figures.sections)


def test_the_docx_download_is_offered_and_audited(client, kim, busy_year):
    from missimo.audit.models import AuditAction, AuditEvent

    client.force_login(kim)
    response = client.get("/berichte/bericht/docx/", {"von": "01.01.2026", "bis": "31.12.2026"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.docx"')
    assert response.content.startswith(b"PK")
    event = AuditEvent.objects.filter(object_type="report", action=AuditAction.EXPORT).latest("sequence")
    assert event.details["format"] == "docx"
    page = client.get("/berichte/bericht/", {"von": "01.01.2026", "bis": "31.12.2026"}).content.decode()
    assert "bericht/docx/" in page
