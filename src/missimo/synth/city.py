"""The truth model of the synthetic city: buildings, households, persons, moves.

Everything for the bulk population is vectorised with numpy. Households are the unit of
the model: every household has a current (or last) dwelling, possibly a previous one in
the city, and control columns that say how the agencies see it (registered or not,
child benefit paid or stopped, school attendance, Bürgergeld, ...). Planted misuse and
traps are extra households generated with the same code and then given their scenario's
control values, so they look like everybody else apart from the planted facts.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from . import names as nm

Arr = np.ndarray

CITY = "Herne"
CITY_PLZ = (44623, 44625, 44627, 44628, 44629, 44649, 44651, 44652, 44653)
OUTSIDE = (
    ("Bochum", 44787, "Kortumstraße"),
    ("Bochum", 44791, "Castroper Straße"),
    ("Gelsenkirchen", 45879, "Bahnhofstraße"),
    ("Gelsenkirchen", 45881, "Bochumer Straße"),
    ("Dortmund", 44135, "Brückstraße"),
    ("Recklinghausen", 45657, "Breite Straße"),
    ("Castrop-Rauxel", 44575, "Wittener Straße"),
)

# household types
SINGLE, COUPLE, FAMILY, SINGLE_PARENT = 0, 1, 2, 3


@dataclasses.dataclass
class Table:
    """A bag of equally long numpy columns."""

    cols: dict[str, Arr]

    def __len__(self) -> int:
        return len(next(iter(self.cols.values()))) if self.cols else 0

    def __getitem__(self, k: str) -> Arr:
        return self.cols[k]

    def __setitem__(self, k: str, v: Any) -> None:
        n = len(self)
        self.cols[k] = np.broadcast_to(np.asarray(v), (n,)).copy() if np.ndim(v) == 0 else np.asarray(v)

    def take(self, idx: Arr) -> Table:
        return Table({k: v[idx] for k, v in self.cols.items()})

    @staticmethod
    def concat(parts: list[Table]) -> Table:
        keys = list(parts[0].cols)
        return Table({k: np.concatenate([p.cols[k] for p in parts]) for k in keys})


def _obj(values: list[str] | tuple[str, ...]) -> Arr:
    a = np.empty(len(values), dtype=object)
    a[:] = list(values)
    return a


# ---------------------------------------------------------------------------------------
# buildings and streets


_ADJ_STEMS = frozenset(
    [
        "Gelsenkirchener",
        "Bochumer",
        "Dortmunder",
        "Recklinghauser",
        "Castroper",
        "Eickeler",
        "Holsterhauser",
        "Sodinger",
        "Horsthauser",
        "Börniger",
        "Baukauer",
        "Röhlinghauser",
        "Koniner",
        "Cranger",
    ]
)


def make_streets(rng: np.random.Generator, n_streets: int) -> Table:
    stems = nm.STREET_STEMS
    sfx = [s for s, _ in nm.STREET_SUFFIXES]
    sfx_p = np.array([p for _, p in nm.STREET_SUFFIXES])
    sfx_p = sfx_p / sfx_p.sum()
    prefixes = ["", "Alte ", "Neue ", "Obere ", "Untere ", "Kleine ", "Lange "]
    seen: dict[str, None] = {}
    out: list[str] = []
    misses = 0
    while len(out) < n_streets and misses < 2000:
        st = stems[int(rng.integers(len(stems)))]
        sf = sfx[int(rng.choice(len(sfx), p=sfx_p))]
        pre = prefixes[int(rng.integers(len(prefixes)))] if rng.random() < 0.25 else ""
        if sf == "":
            name = f"Am {st}"
        elif st.endswith("er") and st[0].isupper() and st in _ADJ_STEMS:
            name = f"{pre}{st} {sf.capitalize()}"
        else:
            name = f"{pre}{st}{sf}"
        if (pre and sf not in ("straße", "weg")) or name in seen:
            misses += 1
            continue
        misses = 0
        seen[name] = None
        out.append(name)
    if len(out) < n_streets:
        # large cities: streets named after people (Schäferstraße, Krügerweg), then numbered ones
        de_surnames = nm.names_for("DE")[2]
        extra = [f"{x}{sf}" for sf in ("straße", "weg", "ring") for x in de_surnames]
        for i in rng.permutation(len(extra)):
            if len(out) >= n_streets:
                break
            if extra[int(i)] not in seen:
                seen[extra[int(i)]] = None
                out.append(extra[int(i)])
        k = 1
        while len(out) < n_streets:
            out.append(f"Planstraße {k}")
            k += 1
    plz = rng.choice(np.array(CITY_PLZ), n_streets)
    east = rng.uniform(370500, 379500, n_streets)
    north = rng.uniform(5710500, 5719500, n_streets)
    angle = rng.uniform(0, np.pi, n_streets)
    return Table({"name": _obj(out), "plz": plz, "east": east, "north": north, "angle": angle})


FLAT_SIZES = np.array([1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 30, 48, 80])
FLAT_P = np.array([0.30, 0.14, 0.08, 0.09, 0.05, 0.10, 0.08, 0.05, 0.04, 0.03, 0.02, 0.012, 0.006, 0.002])


_OWNER_KINDS = ("Wohnen", "Immobilien", "Grundbesitz", "Wohnbau", "Haus- und Grund", "Liegenschaften")


def make_buildings(rng: np.random.Generator, flats_needed: int) -> tuple[Table, Table]:
    est = int(flats_needed / float((FLAT_SIZES * FLAT_P).sum()) * 1.1) + 20
    flats = rng.choice(FLAT_SIZES, est, p=FLAT_P / FLAT_P.sum())
    cut = int(np.searchsorted(np.cumsum(flats), flats_needed)) + 1
    flats = flats[: max(cut, 5)]
    b = len(flats)
    per_street = rng.integers(6, 70, size=b // 6 + 10)
    street_of = np.repeat(np.arange(len(per_street)), per_street)[:b]
    n_streets = int(street_of.max()) + 1
    streets = make_streets(rng, n_streets)
    # position within the street, house numbers with occasional letter suffix (12, 12a, 13)
    starts = np.searchsorted(street_of, np.arange(n_streets))
    pos = np.arange(b) - starts[street_of]
    suffix = (rng.random(b) < 0.06) & (pos > 0)
    suffix &= ~np.concatenate([[False], suffix[:-1]])
    number_inc = (~suffix).astype(np.int64)
    csum = np.cumsum(number_inc)
    base = csum[starts] - number_inc[starts]
    hnr = csum - base[street_of]
    zusatz = np.where(suffix, "a", "")
    east = streets["east"][street_of] + np.cos(streets["angle"][street_of]) * pos * 16 + rng.normal(0, 4, b)
    north = streets["north"][street_of] + np.sin(streets["angle"][street_of]) * pos * 16 + rng.normal(0, 4, b)
    per_flat = np.where(flats == 1, rng.uniform(95, 165, b), rng.uniform(48, 88, b))
    area = np.round(flats * per_flat, 1)
    old = rng.random(b) < 0.55
    baujahr = np.where(old, rng.integers(1900, 1975, b), rng.integers(1975, 2024, b))
    # owners: private persons for small houses, housing companies for the rest
    n_comp = max(8, b // 60)
    comp_names = _obj(
        [
            f"{nm.COMPANY_STEMS[i % len(nm.COMPANY_STEMS)]} "
            f"{_OWNER_KINDS[i % 6]} "
            f"{['GmbH', 'GmbH & Co. KG', 'eG', 'AG', 'UG (haftungsbeschränkt)'][(i // 6) % 5]}"
            + (f" {i // 150 + 1}" if i >= 150 else "")
            for i in range(n_comp)
        ]
    )
    zipf = 1.0 / np.arange(1, n_comp + 1) ** 0.9
    comp = comp_names[rng.choice(n_comp, b, p=zipf / zipf.sum())]
    de_m, de_f, de_s = nm.names_for("DE")
    person_owner = _obj(
        [
            f"{g} {s}"
            for g, s in zip(
                _obj(de_m + de_f)[rng.integers(0, len(de_m) + len(de_f), b)],
                _obj(de_s)[rng.integers(0, len(de_s), b)],
                strict=True,
            )
        ]
    )
    private = (flats <= 2) & (rng.random(b) < 0.85) | (flats <= 6) & (rng.random(b) < 0.4)
    owner = np.where(private, person_owner, comp)
    buildings = Table(
        {
            "street": street_of,
            "hnr": hnr,
            "zusatz": zusatz.astype(object),
            "plz": streets["plz"][street_of],
            "flats": flats,
            "area": area,
            "area_known": rng.random(b) >= 0.02,
            "owner": owner,
            "baujahr": baujahr,
            "east": np.round(np.clip(east, 370_050, 379_950), 2),
            "north": np.round(np.clip(north, 5_710_050, 5_719_950), 2),
            "problem": np.zeros(b, dtype=bool),
        }
    )
    return buildings, streets


# ---------------------------------------------------------------------------------------
# households and persons


def _pl_female(name: str) -> str:
    return "-".join(p[:-1] + "a" if p.endswith(("ski", "cki", "dzki")) else p for p in name.split("-"))


SINGLE_AGE = np.arange(18, 96)
_SINGLE_W = np.where(
    SINGLE_AGE < 30, 1.4, np.where(SINGLE_AGE < 65, 1.0, np.where(SINGLE_AGE < 80, 1.3, 0.6))
)
SINGLE_AGE_P = _SINGLE_W / _SINGLE_W.sum()
KIDS_P = np.array([0.45, 0.36, 0.13, 0.045, 0.015])


def make_households(
    rng: np.random.Generator,
    n_hh: int,
    s: int,
    type_p: tuple[float, float, float, float] = (0.41, 0.29, 0.22, 0.08),
    min_kid_age_years: float = 0.0,
    max_kid_age_years: float = 24.9,
    twin_rate: float = 0.015,
) -> tuple[Table, Table]:
    """n_hh households with members. Returns (households, persons); persons carry ``hh``."""
    htype = rng.choice(4, n_hh, p=np.array(type_p) / sum(type_p))
    with_kids = htype >= FAMILY
    nk = np.where(with_kids, rng.choice(np.arange(1, 6), n_hh, p=KIDS_P), 0)
    origin = rng.choice(len(nm.ORIGINS), n_hh, p=np.array(nm.ORIGIN_SHARES) / sum(nm.ORIGIN_SHARES))
    single_age = rng.choice(SINGLE_AGE, n_hh, p=SINGLE_AGE_P) + rng.random(n_hh)
    couple_age = rng.uniform(22, 88, n_hh)
    parent_age = np.maximum(rng.uniform(24, 54, n_hh), min_kid_age_years + 21)
    p_age = np.where(with_kids, parent_age, np.where(htype == COUPLE, couple_age, single_age))
    lo = np.minimum(min_kid_age_years, np.clip(p_age - 19.5, 0.3, max_kid_age_years))
    hi = np.clip(p_age - 19.5, 0.3, max_kid_age_years)
    oldest = (lo + rng.random(n_hh) * (hi - lo)) * 365.25
    gaps = rng.uniform(330, 2300, (n_hh, 5))
    gaps[rng.random((n_hh, 5)) < twin_rate] = 0
    gaps[:, 0] = 0
    kid_age = oldest[:, None] - np.cumsum(gaps, axis=1)
    valid = (np.arange(5)[None, :] < nk[:, None]) & (kid_age >= 1)
    nk = valid.sum(axis=1)
    htype = np.where(with_kids & (nk == 0), np.where(htype == FAMILY, COUPLE, SINGLE), htype)
    n_adults = np.where((htype == COUPLE) | (htype == FAMILY), 2, 1)

    a1 = np.arange(n_hh)
    a2 = np.nonzero(n_adults == 2)[0]
    kh, kj = np.nonzero(valid)
    hh = np.concatenate([a1, a2, kh])
    role = np.concatenate(
        [np.zeros(len(a1), np.int8), np.ones(len(a2), np.int8), np.full(len(kh), 2, np.int8)]
    )
    a1_days = (p_age * 365.25).astype(np.int64)
    a2_days = np.maximum(
        a1_days[a2] + (rng.normal(-2.0, 3.5, len(a2)) * 365.25).astype(np.int64),
        np.maximum(18 * 366, (oldest[a2] + 18.5 * 365.25).astype(np.int64)),
    )
    kid_days = kid_age[kh, kj].astype(np.int64)
    age_days = np.concatenate([a1_days, a2_days, kid_days])
    order = np.lexsort((-age_days, role, hh))  # per household: adult1, adult2, kids oldest first
    hh, role, age_days = hh[order], role[order], age_days[order]
    n = len(hh)
    birth = s - age_days
    # sex
    sex1 = np.where(
        htype == SINGLE_PARENT,
        np.where(rng.random(n_hh) < 0.85, "w", "m"),
        np.where((htype == COUPLE) | (htype == FAMILY), "m", np.where(rng.random(n_hh) < 0.5, "w", "m")),
    )
    sex = np.where(role == 0, sex1[hh], np.where(role == 1, np.where(sex1[hh] == "m", "w", "m"), ""))
    kids = role == 2
    sex = np.where(kids, np.where(rng.random(n) < 0.51, "m", "w"), sex)
    sex = np.where(rng.random(n) < 0.0005, "d", sex)
    porigin = origin[hh]

    given = np.empty(n, dtype=object)
    surname_own = np.empty(n, dtype=object)
    family_surname = np.empty(n, dtype=object)
    nationality = np.empty(n, dtype=object)
    fam_idx = rng.integers(0, 1 << 30, n_hh)
    own_idx = rng.integers(0, 1 << 30, n)
    g1 = rng.integers(0, 1 << 30, n)
    g2 = rng.integers(0, 1 << 30, n)
    two_names = rng.random(n) < np.where(porigin == 0, 0.25, 0.10)
    nat_u = rng.random(n_hh)[hh]
    female = sex == "w"
    sub_u = rng.random(n_hh)[hh]
    xx_cdf = np.cumsum([g[0] for g in nm.XX_GROUPS])
    xx_cdf = xx_cdf / xx_cdf[-1]
    xx_sub = np.minimum(np.searchsorted(xx_cdf, sub_u), len(nm.XX_GROUPS) - 1)
    groups: list[
        tuple[str, np.ndarray, tuple[list[str], list[str], list[str]], tuple[tuple[str, float], ...]]
    ] = []
    for o, code in enumerate(nm.ORIGINS):
        if code == "XX":
            for k, (_, male_x, fem_x, sur_x, nat_x) in enumerate(nm.XX_GROUPS):
                groups.append((code, (porigin == o) & (xx_sub == k), (male_x, fem_x, sur_x), nat_x))
        else:
            groups.append((code, porigin == o, nm.names_for(code), nm.NATIONALITIES[code]))
    for code, m, lists, nats in groups:
        if not m.any():
            continue
        male_l, fem_l, sur_l = lists
        male_a, fem_a = _obj(male_l), _obj(fem_l)
        if code == "BG":
            half = len(sur_l) // 2
            stem = _obj(sur_l[:half])
            fem_s = _obj(sur_l[half:])
            fi = fam_idx[hh[m]] % half
            oi = own_idx[m] % half
            family_surname[m] = np.where(female[m], fem_s[fi], stem[fi])
            surname_own[m] = np.where(female[m], fem_s[oi], stem[oi])
        else:
            sur_a = _obj(sur_l)
            w = 1.0 / np.arange(1, len(sur_a) + 1) ** 0.6
            cdf = np.cumsum(w) / w.sum()
            fi = np.searchsorted(cdf, (fam_idx[hh[m]] % 100000) / 100000.0)
            oi = np.searchsorted(cdf, (own_idx[m] % 100000) / 100000.0)
            family_surname[m] = sur_a[np.minimum(fi, len(sur_a) - 1)]
            surname_own[m] = sur_a[np.minimum(oi, len(sur_a) - 1)]
        first = np.where(female[m], fem_a[g1[m] % len(fem_a)], male_a[g1[m] % len(male_a)])
        second = np.where(female[m], fem_a[g2[m] % len(fem_a)], male_a[g2[m] % len(male_a)])
        tn = two_names[m] & (first != second) & (code != "BG")
        given[m] = np.where(tn, first + " " + second, first)
        cdf_n = np.cumsum([w for _, w in nats])
        cdf_n = cdf_n / cdf_n[-1]
        nat_vals = _obj([v for v, _ in nats])
        nationality[m] = nat_vals[np.minimum(np.searchsorted(cdf_n, nat_u[m]), len(nat_vals) - 1)]

    married = rng.random(n_hh) < 0.7
    is_a2 = role == 1
    fam_name = np.where(is_a2 & ~married[hh], surname_own, family_surname)
    birth_name = np.where(is_a2 & married[hh] & (surname_own != family_surname), surname_own, "")
    double = is_a2 & married[hh] & (porigin == 0) & (rng.random(n) < 0.07) & (birth_name != "")
    fam_name = np.where(double, family_surname + "-" + surname_own, fam_name)
    # Polish surnames take the female form for women (Kowalski -> Kowalska)
    pl_w = np.nonzero((porigin == nm.ORIGINS.index("PL")) & female)[0]
    fam_name[pl_w] = [_pl_female(x) for x in fam_name[pl_w]]
    birth_name[pl_w] = [_pl_female(x) for x in birth_name[pl_w]]
    # a few adults with unknown birth day / month (documents without full date)
    unknown_dm = (role < 2) & (porigin >= 5) & (rng.random(n) < 0.06)
    unknown_d = (role < 2) & (porigin >= 5) & ~unknown_dm & (rng.random(n) < 0.03)

    households = Table(
        {
            "htype": htype,
            "origin": origin,
            "n_adults": n_adults,
            "n_kids": nk,
            "married": married,
        }
    )
    persons = Table(
        {
            "hh": hh,
            "role": role,
            "sex": sex.astype(object),
            "birth": birth,
            "origin": porigin,
            "fam": fam_name.astype(object),
            "given": given,
            "birth_name": birth_name.astype(object),
            "nationality": nationality,
            "unknown_dm": unknown_dm,
            "unknown_d": unknown_d,
        }
    )
    return households, persons
