"""Safe placeholder substitution for letter templates.

Templates are text written by the coordination office. They are never executed as Django templates:
`fill` replaces exactly the known placeholders ({aktenzeichen}, {adresse}, {hinweise}, {empfaenger},
{datum}, {frist}) with plain-text values in one pass (a value that itself contains "{adresse}" stays as it is),
and leaves anything else in braces untouched. `fill_html` does the same for display and escapes both
the template text and the values, so neither can inject markup.
"""

from __future__ import annotations

import re

from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString

# The days a template's {frist} gives the recipient to answer.
REPLY_DAYS = 14

PLACEHOLDERS: dict[str, str] = {
    "aktenzeichen": "Aktenzeichen des Prüffalls",
    "adresse": "Anschrift des Objekts",
    "hinweise": "die Hinweise des Falls, die die Empfängerin betreffen (Hinweis-ID, Regel, Beleg)",
    "empfaenger": "Name der empfangenden Behörde oder des Eigentümers",
    "datum": "heutiges Datum (TT.MM.JJJJ)",
    "frist": f"Antwortfrist: {REPLY_DAYS} Tage nach dem heutigen Datum (TT.MM.JJJJ); wird als "
    "„Antwort erwartet bis“ des Schreibens übernommen",
}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def fill(text: str, values: dict[str, str]) -> str:
    """Plain text with the known placeholders replaced; unknown ones kept literally."""

    def substitute(match: re.Match) -> str:
        key = match.group(1)
        if key in PLACEHOLDERS and key in values:
            return str(values[key])
        return match.group(0)

    return _PLACEHOLDER.sub(substitute, text)


def fill_html(text: str, values: dict[str, str]) -> SafeString:
    """HTML paragraphs of `fill(text, values)`, everything escaped."""
    return SafeString(linebreaks(escape(fill(text, values))))


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in `text` that `fill` will not replace (shown as a warning to the editor)."""
    return sorted({key for key in _PLACEHOLDER.findall(text) if key not in PLACEHOLDERS})
