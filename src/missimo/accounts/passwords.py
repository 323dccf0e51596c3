"""Password rules beyond Django's English list of common passwords.

Django's ``CommonPasswordValidator`` knows 20,000 passwords from English-language leaks, which
misses what German users pick: ``Passwort2026!``, ``Sommer2026``, ``Hallo1234567``, the city's
name with a year. This validator folds the password (lower case, umlauts spelled out, digits and
punctuation at the ends removed) and refuses it when the remaining word is on a bundled German
list, is a season or month, or is the name of the city or of the product.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

_LIST = Path(__file__).parent / "data" / "passwoerter_de.txt"
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower().translate(_FOLD)
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


@cache
def _words() -> frozenset[str]:
    lines = _LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(_fold(line.strip()) for line in lines if line.strip() and not line.startswith("#"))


class GermanCommonPasswordValidator:
    """Refuse common German passwords and obvious variants (word plus year or digits)."""

    def _stems(self, password: str) -> set[str]:
        folded = _fold(password)
        stripped = _EDGES.sub("", folded)
        words = set(re.findall(r"[a-z]+", folded))
        repeated = words.pop() if len(words) == 1 else ""  # "Schalke-04-Schalke"
        return {folded, stripped, re.sub(r"[\W\d_]+", "", folded), repeated}

    def validate(self, password: str, user=None) -> None:
        city = _fold(getattr(settings, "CITY_NAME", "") or "")
        forbidden = _words() | ({city} if city else set()) | {"missimo"}
        if any(stem and stem in forbidden for stem in self._stems(password)):
            raise ValidationError(
                "Dieses Kennwort ist zu leicht zu erraten: Es besteht aus einem häufig verwendeten Wort "
                "(auch mit Jahreszahl oder Ziffern). Bitte wählen Sie eine Passphrase aus mehreren Wörtern.",
                code="password_too_common_de",
            )

    def get_help_text(self) -> str:
        return (
            "Ihr Kennwort darf kein häufig verwendetes Wort sein, auch nicht mit angehängter Jahreszahl "
            "(z. B. „Sommer2026!“)."
        )


_RUN = re.compile(r"(.)\1{3,}")


@cache
def _english_common() -> frozenset[str]:
    from django.contrib.auth.password_validation import CommonPasswordValidator

    return frozenset(CommonPasswordValidator().passwords)


class PersonalPasswordValidator:
    """Refuse passwords built on the user's own names (`alexadmin123` for `alexadmin`), made of a few
    repeated characters (`aaaaaaaaaaaa`, `abababababab`), or a common password with digits or
    punctuation appended (`iloveyou1234`), issue #21."""

    def validate(self, password: str, user=None) -> None:
        folded = _fold(password)
        letters = re.sub(r"[\W\d_]+", "", folded)
        stripped = _EDGES.sub("", folded)
        names = {
            _fold(str(getattr(user, attribute, "") or ""))
            for attribute in ("username", "first_name", "last_name")
        }
        names |= {part for name in names for part in re.split(r"[\W_]+", name)}
        if any(len(name) >= 3 and (name in folded or name in letters) for name in names):
            raise ValidationError(
                "Das Kennwort enthält Ihren Benutzer- oder Personennamen. Bitte wählen Sie eine Passphrase "
                "ohne Ihren Namen.",
                code="password_contains_name",
            )
        if len(set(folded)) <= 3 or _RUN.search(folded):
            raise ValidationError(
                "Das Kennwort besteht aus zu wenigen verschiedenen Zeichen oder aus Wiederholungen. Bitte "
                "wählen Sie eine Passphrase aus mehreren Wörtern.",
                code="password_repetitive",
            )
        if stripped in _english_common() or letters in _english_common():
            raise ValidationError(
                "Dieses Kennwort ist zu leicht zu erraten: Es ist ein häufig verwendetes Kennwort mit "
                "angehängten Ziffern oder Zeichen. Bitte wählen Sie eine Passphrase aus mehreren Wörtern.",
                code="password_common_with_digits",
            )

    def get_help_text(self) -> str:
        return (
            "Ihr Kennwort darf Ihren Namen nicht enthalten und nicht aus wenigen wiederholten Zeichen "
            "bestehen."
        )
