"""Spelling variants between registers (names, dates, addresses), vectorised with polars.

Rates are module constants so the documentation can quote them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from . import names as nm
from .dates import NA, dom, month

# --- documented rates (per record of a non-reference register, i.e. every source but the
# Melderegister, which holds the canonical form) ---------------------------------------
RO_CEDILLA_RATE = 0.30  # ș ț written with cedilla (ş ţ)
RO_STRIP_RATE = 0.20  # Romanian diacritics dropped (ș->s, ă->a, ...)
BG_GERMAN_RATE = 0.35  # Bulgarian names transliterated by the German scheme (Iwanow, Schiwko)
BG_FRENCH_RATE = 0.10  # ... by the French scheme (Gueorgui)
BG_CYRILLIC_RATE = 0.05  # ... left in Cyrillic
TR_FOLD_RATE = 0.25  # Turkish letters folded (ğ->g, ı->i, ş->s, ç->c, ö->o, ü->u)
PL_STRIP_RATE = 0.15  # Polish diacritics dropped
DE_FOLD_RATE = 0.20  # ä->ae, ö->oe, ü->ue, ß->ss
FIRST_GIVEN_ONLY_RATE = 0.50  # only the first of several given names (schule, seu, jobcenter)
SWAP_GIVEN_RATE = 0.08  # given names in swapped order
DOUBLE_FIRST_PART_RATE = 0.30  # double surname: only the first part
DOUBLE_SPACE_RATE = 0.15  # double surname: blank instead of hyphen
BIRTH_NAME_RATE = 0.04  # married person listed under the birth name (kindergeld, jobcenter)
TYPO_RATE = 0.015  # one typing error (substitution, deletion, transposition, doubling)
UPPER_RATE = 0.03  # name in capitals
DATE_SWAP_RATE = 0.005  # day and month swapped (only where both <= 12)
# addresses (every source, including the Melderegister)
STR_ABBREV_RATE = 0.30  # Straße -> Str.
STR_SS_RATE = 0.15  # Straße -> Strasse
STR_HYPHEN_RATE = 0.04  # Bahnhofstraße -> Bahnhof-Straße
STR_UPPER_RATE = 0.04  # BAHNHOFSTRASSE
HNR_JOINED_RATE = 0.35  # 12a in Hausnummer
HNR_SPACE_RATE = 0.15  # 12 a in Hausnummer


def _mask(rng: np.random.Generator, n: int, p: float) -> pl.Series:
    return pl.Series(rng.random(n) < p)


def _where(mask: pl.Series | np.ndarray, a: pl.Series, b: pl.Series) -> pl.Series:
    m = mask if isinstance(mask, pl.Series) else pl.Series(mask)
    return a.zip_with(m, b)


def _repl(s: pl.Series, table: dict[str, str]) -> pl.Series:
    return s.str.replace_many(list(table.keys()), list(table.values()))


_BG_MAPS = nm.bg_variant_maps()


def _bg_map(s: pl.Series, mapping: dict[str, str]) -> pl.Series:
    return s.replace(mapping)


def typo(word: str, r: float, r2: float) -> str:
    if len(word) < 3:
        return word
    i = 1 + int(r * (len(word) - 2))
    kind = int(r2 * 4)
    if kind == 0:  # deletion
        return word[:i] + word[i + 1 :]
    if kind == 1:  # transposition
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :] if i + 1 < len(word) else word[:-1]
    if kind == 2:  # doubling
        return word[: i + 1] + word[i] + word[i + 1 :]
    letters = "aeinrstlu"
    c = letters[int(r2 * 1000) % len(letters)]
    return word[:i] + (c if c != word[i] else "o") + word[i + 1 :]


def _typos(rng: np.random.Generator, s: pl.Series, rate: float) -> pl.Series:
    n = len(s)
    idx = np.nonzero(rng.random(n) < rate)[0]
    if len(idx) == 0:
        return s
    r = rng.random((len(idx), 2))
    vals = s.gather(idx).to_list()
    new = [typo(v, a, b) if v else v for v, a, b in zip(vals, r[:, 0], r[:, 1], strict=True)]
    return s.scatter(idx, pl.Series(new, dtype=pl.String))


def render_names(
    rng: np.random.Generator,
    fam: np.ndarray,
    given: np.ndarray,
    birth_name: np.ndarray,
    origin: np.ndarray,
    source: str,
) -> tuple[pl.Series, pl.Series]:
    """(Familienname, Vornamen) as the given source writes them."""
    n = len(fam)
    f = pl.Series(fam, dtype=pl.String)
    g = pl.Series(given, dtype=pl.String)
    if source == "melderegister" or n == 0:
        return f, g
    bn = pl.Series(birth_name, dtype=pl.String)
    # married person under the birth name
    if source in ("kindergeld", "jobcenter"):
        f = _where(_mask(rng, n, BIRTH_NAME_RATE) & (bn != ""), bn, f)
    # double surnames
    dbl = f.str.contains("-", literal=True) & pl.Series(origin == 0)
    u = rng.random(n)
    f = _where(dbl & pl.Series(u < DOUBLE_FIRST_PART_RATE), f.str.split("-").list.first(), f)
    f = _where(
        dbl & pl.Series((u >= DOUBLE_FIRST_PART_RATE) & (u < DOUBLE_FIRST_PART_RATE + DOUBLE_SPACE_RATE)),
        f.str.replace("-", " ", literal=True),
        f,
    )
    # given names: first only, or swapped
    multi = g.str.contains(" ", literal=True)
    u = rng.random(n)
    if source in ("schule", "seu", "jobcenter"):
        g = _where(multi & pl.Series(u < FIRST_GIVEN_ONLY_RATE), g.str.split(" ").list.first(), g)
    swapped = g.str.split(" ").list.reverse().list.join(" ")
    g = _where(multi & pl.Series((u > 0.9) & (u < 0.9 + SWAP_GIVEN_RATE)), swapped, g)
    # origin specific transliteration / diacritics
    org = origin
    for col in ("f", "g"):
        s = f if col == "f" else g
        u = rng.random(n)
        ro = pl.Series(org == 2)
        s = _where(ro & pl.Series(u < RO_CEDILLA_RATE), _repl(s, nm.RO_CEDILLA), s)
        s = _where(ro & pl.Series((u >= 0.5) & (u < 0.5 + RO_STRIP_RATE)), _repl(s, nm.RO_STRIP), s)
        bg = pl.Series(org == 3)
        german, french, cyr = _BG_MAPS
        s = _where(bg & pl.Series(u < BG_GERMAN_RATE), _bg_map(s, german), s)
        s = _where(bg & pl.Series((u >= 0.5) & (u < 0.5 + BG_FRENCH_RATE)), _bg_map(s, french), s)
        s = _where(bg & pl.Series((u >= 0.7) & (u < 0.7 + BG_CYRILLIC_RATE)), _bg_map(s, cyr), s)
        s = _where(pl.Series((org == 1) & (u < TR_FOLD_RATE)), _repl(s, nm.TR_FOLD), s)
        s = _where(pl.Series((org == 4) & (u < PL_STRIP_RATE)), _repl(s, nm.PL_STRIP), s)
        s = _where(pl.Series((org == 6) & (u < 0.10)), _repl(s, nm.XX_STRIP), s)
        u2 = rng.random(n)
        s = _where(pl.Series(u2 < DE_FOLD_RATE), _repl(s, nm.DE_FOLD), s)
        s = _typos(rng, s, TYPO_RATE)
        s = _where(_mask(rng, n, UPPER_RATE), s.str.to_uppercase(), s)
        if col == "f":
            f = s
        else:
            g = s
    return f, g


def fmt_dates(days: np.ndarray) -> pl.Series:
    d = np.asarray(days, dtype=np.int64)
    ser = pl.Series(d).cast(pl.Int32)
    ser = ser.set(pl.Series(d >= NA), None).cast(pl.Date)
    return ser.dt.strftime("%d.%m.%Y").fill_null("")


def render_birth(
    rng: np.random.Generator,
    birth: np.ndarray,
    unknown_dm: np.ndarray,
    unknown_d: np.ndarray,
    source: str,
    keep: np.ndarray | None = None,
) -> pl.Series:
    """Birth dates: ``00`` parts in the Melderegister, 01.01. / 01. elsewhere, swapped day/month."""
    b = np.asarray(birth, dtype=np.int64)
    s = fmt_dates(b)
    if source == "melderegister":
        yyyy = s.str.slice(6, 4)
        mm = s.str.slice(3, 2)
        s = _where(pl.Series(unknown_dm), "00.00." + yyyy, s)
        s = _where(pl.Series(unknown_d), "00." + mm + "." + yyyy, s)
        return s
    yyyy = s.str.slice(6, 4)
    mm = s.str.slice(3, 2)
    dd = s.str.slice(0, 2)
    s = _where(pl.Series(unknown_dm), "01.01." + yyyy, s)
    s = _where(pl.Series(unknown_d), "01." + mm + "." + yyyy, s)
    d, m = dom(b), month(b)
    swap = (rng.random(len(b)) < DATE_SWAP_RATE) & (d <= 12) & (d != m) & ~unknown_dm & ~unknown_d
    if keep is not None:
        swap &= ~keep
    return _where(pl.Series(swap), mm + "." + dd + "." + yyyy, s)


def render_address(
    rng: np.random.Generator, street: np.ndarray, hnr: np.ndarray, zusatz: np.ndarray
) -> tuple[pl.Series, pl.Series, pl.Series]:
    n = len(street)
    st = pl.Series(street, dtype=pl.String)
    u = rng.random(n)
    has = st.str.ends_with("straße") | st.str.ends_with("Straße")
    st = _where(has & pl.Series(u < STR_ABBREV_RATE), st.str.replace(r"(?i)straße$", "str."), st)
    st = _where(
        has & pl.Series((u >= 0.5) & (u < 0.5 + STR_SS_RATE)), st.str.replace("ße", "sse", literal=True), st
    )
    single = has & ~st.str.contains(" ", literal=True) & st.str.ends_with("straße")
    st = _where(
        single & pl.Series((u >= 0.8) & (u < 0.8 + STR_HYPHEN_RATE)),
        st.str.replace(r"straße$", "-Straße"),
        st,
    )
    st = _where(
        _mask(rng, n, STR_UPPER_RATE), st.str.replace_all("ß", "SS", literal=True).str.to_uppercase(), st
    )
    h = pl.Series(np.asarray(hnr, dtype=np.int64)).cast(pl.String)
    z = pl.Series(zusatz, dtype=pl.String)
    has_z = z != ""
    u = rng.random(n)
    joined = has_z & pl.Series(u < HNR_JOINED_RATE)
    spaced = has_z & pl.Series((u >= HNR_JOINED_RATE) & (u < HNR_JOINED_RATE + HNR_SPACE_RATE))
    h2 = _where(joined, h + z, _where(spaced, h + " " + z, h))
    z2 = _where(joined | spaced, pl.Series([""] * n, dtype=pl.String), z)
    return st, h2, z2


def euro(cents: np.ndarray) -> pl.Series:
    c = np.asarray(cents, dtype=np.int64)
    e = pl.Series(c // 100).cast(pl.String)
    r = pl.Series(c % 100).cast(pl.String).str.zfill(2)
    return e + "," + r


def decimal_comma(x: np.ndarray, digits: int = 1) -> pl.Series:
    return (
        pl.Series(np.round(np.asarray(x, dtype=np.float64), digits))
        .cast(pl.String)
        .str.replace(".", ",", literal=True)
    )
