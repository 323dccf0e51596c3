"""The PDF of a released letter (WeasyPrint), on the city's letterhead.

The letter's text is plain text written by people; it is escaped and turned into paragraphs by the
template (autoescape on), never executed as a template itself."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from missimo.outcomes.models import Letter


def render_letter_pdf(letter: Letter) -> bytes:
    from weasyprint import HTML

    day = letter.approved_at.date() if letter.approved_at else None
    html = render_to_string(
        "outcomes/letter_pdf.html",
        {"letter": letter, "city_name": settings.CITY_NAME, "day": day},
    )
    return HTML(string=html).write_pdf()
