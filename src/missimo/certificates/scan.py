"""Reading a certificate's QR code from paper: a scan or a photo (JPEG, PNG, ...) or an image-only
PDF (a scanner's output). PDFs are rasterised with pypdfium2, the QR code is decoded with zxing-cpp;
both run locally, nothing leaves the server."""

from __future__ import annotations

import io
import logging

from missimo.certificates.signing import PREFIX, TOKEN_PATTERN

log = logging.getLogger(__name__)

MAX_PAGES = 5  # a certificate is one page; a scan may carry a cover page or two
PDF_DPI = 200  # enough for a QR code printed at 30 mm; a scanner usually delivers 150-300 dpi
MAX_PIXELS = 40_000_000  # refuse decompression bombs (a 12 MP photo has 12 million)


class ScanError(ValueError):
    """A file that is neither a PDF nor an image we can read (German message)."""


def _images_of(data: bytes):
    from PIL import Image, ImageOps

    if data.lstrip()[:5] == b"%PDF-":
        import pypdfium2 as pdfium

        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as error:
            raise ScanError("Die PDF-Datei lässt sich nicht öffnen.") from error
        try:
            for index in range(min(len(document), MAX_PAGES)):
                yield document[index].render(scale=PDF_DPI / 72).to_pil()
        finally:
            document.close()
        return
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, Image.DecompressionBombError) as error:
        raise ScanError(
            "Die Datei ist weder eine PDF-Datei noch ein lesbares Bild (JPEG, PNG, TIFF …)."
        ) from error
    yield ImageOps.exif_transpose(image)  # photos from phones carry their rotation in EXIF


def _decode(image) -> list[str]:
    import zxingcpp

    texts = [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    if not texts and max(image.size) > 2400:  # large photos: a smaller copy is often read better
        small = image.copy()
        small.thumbnail((2000, 2000))
        texts = [r.text for r in zxingcpp.read_barcodes(small, formats=zxingcpp.BarcodeFormat.QRCode)]
    return texts


def token_from_image(data: bytes) -> str | None:
    """The MISSIMO token of the first QR code on the scan or photo, or None when there is none.
    Raises ScanError for a file that is neither a PDF nor an image."""
    for image in _images_of(data):
        for text in _decode(image.convert("L")):
            match = TOKEN_PATTERN.search(text.encode("utf-8", "replace"))
            if match:
                return match.group(0).decode("ascii")
            if text.startswith(PREFIX):
                return text  # damaged token: let the verification name the defect
    return None
