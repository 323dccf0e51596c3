"""The PDF of a Schulbescheinigung (WeasyPrint) with its QR code (segno).

The signed QR content is also written into the PDF (metadata keyword and an attached text file)
so that a verifier can read it from the uploaded PDF without decoding the image."""

from __future__ import annotations

import base64
import io

import segno
from django.template.loader import render_to_string

from missimo.certificates.models import Certificate

ATTACHMENT_NAME = "schulbescheinigung-qr.txt"


def qr_svg_data_uri(token: str) -> str:
    buffer = io.BytesIO()
    segno.make(token, error="m", micro=False).save(buffer, kind="svg", scale=4, border=4)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render_pdf(certificate: Certificate) -> bytes:
    from weasyprint import HTML, Attachment

    html = render_to_string(
        "certificates/pdf.html", {"certificate": certificate, "qr": qr_svg_data_uri(certificate.token)}
    )
    return HTML(string=html).write_pdf(
        attachments=[Attachment(string=certificate.token, name=ATTACHMENT_NAME, description="QR-Inhalt")]
    )
