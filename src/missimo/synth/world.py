"""Assemble the city: natural population, movers, leavers, planted misuse and traps.

The result (``World``) is the ground truth from which the six exports, the truth files
and the expected hints are derived.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from . import names as nm
from .city import CITY, OUTSIDE, Table, _obj, make_buildings, make_households
from .dates import NA, day, school_entry_year, ymd

# school modes (person level)
SCHOOL_NORMAL, SCHOOL_NONE, SCHOOL_ABSENT = 0, 1, 2
# child benefit modes (household level)
KG_NONE, KG_NORMAL, KG_CONTINUES, KG_OUTSIDE = 0, 1, 2, 3
# Bürgergeld modes
JC_NONE, JC_NORMAL, JC_CONTINUES = 0, 1, 2


@dataclasses.dataclass(frozen=True)
class Rates:
    """Planted scenarios per 100,000 residents (at least one each, so small cities have all).

    Misuse scenarios end in a hint by rules.md; traps look suspicious but are lawful.
    """

    problem_share: float = 0.7  # share of planted misuse households placed in problem properties
    # misuse (families / persons / buildings / employers)
    ausland_familien: float = 60.0  # family left abroad, child benefit continues
    geisterkinder: float = 30.0  # child benefit for a child that does not exist
    doppelbezug: float = 20.0  # same child paid under two Kindergeldnummern
    schulabsentismus: float = 40.0  # chronic absence (>= 20 school days)
    schule_ohne_meldung: float = 20.0  # pupil enrolled with a city address, not registered
    seu_nicht_erschienen: float = 12.0  # SEU no-show, not at school, child benefit paid
    ueberbelegung: float = 6.0  # buildings with many sham registrations
    fluktuation: float = 6.0  # buildings with many registrations and deregistrations
    scheinarbeitgeber: float = 4.0  # employers with many mini-job benefit recipients
    adresse_unbekannt: float = 15.0  # payments to addresses that do not exist
    sgb2_ausland: float = 20.0  # single benefit recipients who left the country
    # traps
    schule_ausserhalb: float = 30.0  # child attends a school outside the city (KG_OHNE_SCHULE fires)
    kind_im_ausland: float = 40.0  # EU worker, child lives abroad (Kind_Wohnsitz Ausland)
    umzug_inland: float = 40.0  # family moved to another German municipality, benefit continues
    zuzug_neu: float = 40.0  # family moved into the city weeks ago
    namensvettern: float = 20.0  # two different children with the same name and birth year
    zwillinge: float = 20.0  # twins in one claim
    wegzug_ausland_korrekt: float = 30.0  # family left abroad, payment stopped in time
    krank_kurz: float = 40.0  # absent 10 to 19 school days (below the threshold)
    stichtag_grenze: float = 20.0  # child born 1 October six years before: not yet schulpflichtig
    arbeitgeber_unter_schwelle: float = 4.0  # employer with 4 mini-job benefit recipients

    def count(self, name: str, residents: int) -> int:
        return max(1, round(getattr(self, name) * residents / 100_000))


@dataclasses.dataclass
class World:
    stichtag: dt.date
    s: int
    residents: int
    buildings: Table
    addresses: Table  # buildings first (address id == building index), then extra addresses
    hh: Table
    persons: Table
    schools: Table
    employers: np.ndarray  # employer names (object)
    scenario_names: list[str]
    rates: Rates


MISUSE_RULES: dict[str, tuple[str, ...]] = {
    "AUSLAND_FAMILIE": ("KG_NACH_ABMELDUNG", "KG_OHNE_SCHULE", "SCHULABSENTISMUS", "SGB2_NACH_ABMELDUNG"),
    "GEISTERKIND": ("KG_KIND_NICHT_GEMELDET",),
    "DOPPELBEZUG": ("KG_DOPPELBEZUG",),
    "SCHULABSENTISMUS": ("SCHULABSENTISMUS",),
    "SCHULE_OHNE_MELDUNG": ("SCHULE_OHNE_MELDUNG",),
    "SEU_NICHT_ERSCHIENEN": ("SEU_NICHT_ERSCHIENEN",),
    "UEBERBELEGUNG": ("UEBERBELEGUNG",),
    "MELDE_FLUKTUATION": ("MELDE_FLUKTUATION",),
    "SCHEINARBEITGEBER": ("ARBEITGEBER_HAEUFUNG",),
    "ADRESSE_UNBEKANNT": ("ADRESSE_UNBEKANNT",),
    "SGB2_AUSLAND": ("SGB2_NACH_ABMELDUNG",),
}
# traps: the rules they tempt; the one trap whose rule fires anyway is marked below
TRAP_RULES: dict[str, tuple[str, ...]] = {
    "SCHULE_AUSSERHALB": ("KG_OHNE_SCHULE",),
    "KIND_IM_AUSLAND": ("KG_OHNE_SCHULE", "KG_KIND_NICHT_GEMELDET", "KG_NACH_ABMELDUNG"),
    "UMZUG_INLAND": ("KG_OHNE_SCHULE", "KG_NACH_ABMELDUNG", "KG_KIND_NICHT_GEMELDET"),
    "ZUZUG_NEU": ("KG_OHNE_SCHULE", "KG_KIND_NICHT_GEMELDET", "SCHULE_OHNE_MELDUNG"),
    "NAMENSVETTER": ("KG_DOPPELBEZUG",),
    "ZWILLINGE": ("KG_DOPPELBEZUG",),
    "WEGZUG_AUSLAND_KORREKT": ("KG_NACH_ABMELDUNG", "KG_OHNE_SCHULE"),
    "KRANK_KURZ": ("SCHULABSENTISMUS",),
    "STICHTAG_GRENZE": ("KG_OHNE_SCHULE",),
    "ARBEITGEBER_UNTER_SCHWELLE": ("ARBEITGEBER_HAEUFUNG",),
    "VORSCHULKIND": ("KG_OHNE_SCHULE",),
    "AUSBILDUNG": ("KG_OHNE_SCHULE",),
    "SEU_SPAETER_EINGESCHULT": ("SEU_NICHT_ERSCHIENEN",),
}
TRAPS_THAT_FIRE = frozenset({"SCHULE_AUSSERHALB"})


def school_year_start(s_date: dt.date) -> int:
    return s_date.year if s_date.month >= 8 else s_date.year - 1


def build_world(residents: int, seed: int, stichtag: dt.date, rates: Rates | None = None) -> World:
    rates = rates or Rates()
    rng = np.random.default_rng(np.random.SeedSequence([seed, 20260303]))
    s = day(stichtag)
    y0 = school_year_start(stichtag)

    # --- natural resident households: exactly `residents` persons -------------------------
    est = int(residents / 2.05 * 1.08) + 20
    hh0, p0 = make_households(rng, est, s)
    size = hh0["n_adults"] + hh0["n_kids"]
    keep = int(np.searchsorted(np.cumsum(size), residents, side="right"))
    gap = residents - int(size[:keep].sum())
    hh_idx = np.concatenate([np.arange(keep)])
    hh_nat = hh0.take(hh_idx)
    p_nat = p0.take(np.nonzero(p0["hh"] < keep)[0])
    if gap > 0:
        hh_fill, p_fill = make_households(rng, gap, s, type_p=(1, 0, 0, 0))
        p_fill["hh"] = p_fill["hh"] + keep
        hh_nat = Table.concat([hh_nat, hh_fill])
        p_nat = Table.concat([p_nat, p_fill])
    n_nat = len(hh_nat)

    buildings, streets = make_buildings(rng, int(n_nat / 0.94) + 10)
    nb = len(buildings)
    flats = buildings["flats"]
    slot_b = np.repeat(np.arange(nb), flats)
    slot_f = np.arange(len(slot_b)) - np.repeat(np.cumsum(flats) - flats, flats)
    chosen = rng.permutation(len(slot_b))[:n_nat]
    cur_b = slot_b[chosen]
    cur_f = slot_f[chosen]
    # problem properties: old multi-flat buildings, a minority
    cand = np.nonzero((flats >= 3) & (flats <= 20) & (buildings["baujahr"] < 1975))[0]
    n_problem = max(4, round(nb * 0.004))
    problem = np.sort(rng.choice(cand, min(n_problem, len(cand)), replace=False))
    buildings["problem"][problem] = True

    # --- addresses --------------------------------------------------------------------
    addr_street = streets["name"][buildings["street"]]
    addresses = Table(
        {
            "street": addr_street.copy(),
            "hnr": buildings["hnr"].copy(),
            "zusatz": buildings["zusatz"].copy(),
            "plz": buildings["plz"].copy(),
            "ort": np.full(nb, CITY, dtype=object),
            "objekt": np.arange(nb),
        }
    )
    extra: list[tuple[str, int, str, int, str]] = []
    street_max: dict[int, int] = {}
    st_of_b = buildings["street"]
    last_of_street = np.zeros(len(streets), dtype=np.int64)
    np.maximum.at(last_of_street, st_of_b, buildings["hnr"])

    def outside_address() -> int:
        ort, plz, street = OUTSIDE[int(rng.integers(len(OUTSIDE)))]
        extra.append((street, int(rng.integers(1, 140)), "", plz, ort))
        return nb + len(extra) - 1

    def fake_address() -> int:
        st = int(rng.integers(len(streets)))
        street_max[st] = street_max.get(st, int(last_of_street[st])) + int(rng.integers(3, 30))
        extra.append((str(streets["name"][st]), street_max[st], "", int(streets["plz"][st]), CITY))
        return nb + len(extra) - 1

    # --- household control columns ----------------------------------------------------
    parts_hh: list[Table] = []
    parts_p: list[Table] = []

    def add_group(hh: Table, p: Table, bld: np.ndarray, flat: np.ndarray, scen: str | int) -> tuple[int, int]:
        n = len(hh)
        base_hh = sum(len(t) for t in parts_hh)
        base_p = sum(len(t) for t in parts_p)
        hh = Table(dict(hh.cols))
        p = Table(dict(p.cols))
        hh["bld"] = bld
        hh["flat"] = flat
        adult_age = np.full(n, 10**6)
        np.minimum.at(adult_age, p["hh"][p["role"] < 2], (s - p["birth"])[p["role"] < 2])
        years_here = np.minimum(rng.exponential(8.5, n) * 365.25, np.maximum(adult_age - 18 * 365, 30))
        hh["start"] = s - years_here.astype(np.int64) - 1
        has_prev = (rng.random(n) < 0.3) & (years_here > 400)
        hh["prev_bld"] = np.where(has_prev, rng.integers(0, nb, n), -1)
        prev_len = np.minimum(
            rng.exponential(5, n) * 365.25 + 100, np.maximum(adult_age - years_here - 18 * 365, 0)
        )
        hh["prev_start"] = np.where(has_prev & (prev_len > 60), hh["start"] - prev_len.astype(np.int64), NA)
        hh["prev_bld"] = np.where(hh["prev_start"] < NA, hh["prev_bld"], -1)
        hh["left"] = NA
        hh["reg_end"] = NA
        hh["reg_reason"] = np.full(n, "", dtype=object)
        hh["registered"] = True
        hh["status"] = np.where(
            (hh["htype"] == 0) & (rng.random(n) < 0.02) & (adult_age < 27 * 365), "N", "H"
        ).astype(object)
        hh["kg"] = np.where(rng.random(n) < 0.97, KG_NORMAL, KG_NONE)
        hh["kg_addr"] = -1  # -1 = the household's own (current) address
        hh["kg_outdated"] = (hh["prev_bld"] >= 0) & (rng.random(n) < 0.06)
        hh["kg_double"] = False
        jc_p = np.array([0.09, 0.05, 0.12, 0.35])[hh["htype"]]
        hh["jc"] = np.where(rng.random(n) < jc_p, JC_NORMAL, JC_NONE)
        hh["jc_start"] = np.maximum(
            hh["start"] - 200, s - (rng.exponential(3.0, n) * 365.25).astype(np.int64) - 1
        )
        hh["jc_end"] = np.where(rng.random(n) < 0.08, s - rng.integers(20, 700, n), NA)
        hh["jc_addr"] = -1
        hh["jc_employer"] = -1  # -1: natural employers; >= 0 a planted employer for all adults
        hh["school_addr"] = -1
        hh["scen"] = scen if isinstance(scen, int) else -1
        hh["scen_name"] = np.full(n, "" if isinstance(scen, int) else scen, dtype=object)
        p["hh"] = p["hh"] + base_hh
        p["ghost"] = False
        p["abroad"] = False
        p["school"] = SCHOOL_NORMAL
        p["gap"] = -1
        p["seu_status"] = np.full(len(p), "", dtype=object)
        p["training"] = rng.random(len(p)) < 0.55
        p["scen_name"] = np.full(len(p), "", dtype=object)
        parts_hh.append(hh)
        parts_p.append(p)
        return base_hh, base_p

    def flat_label(b: np.ndarray, f: np.ndarray) -> np.ndarray:
        fl = flats[b]
        floor = f // 2
        side = np.where(f % 2 == 0, "links", "rechts")
        lab = np.where(floor == 0, "EG " + side, floor.astype(str).astype(object) + ". OG " + side)
        lab = np.where(fl > 8, "WE " + (f + 1).astype(str).astype(object), lab)
        return np.where(fl == 1, "", lab).astype(object)

    add_group(hh_nat, p_nat, cur_b, flat_label(cur_b, cur_f), 0)

    # natural leavers: households that lived in the city and left before the Stichtag
    n_leave = max(3, round(n_nat * 0.05))
    hl, pl = make_households(rng, n_leave, s)
    lb = rng.integers(0, nb, n_leave)
    bh, _ = add_group(hl, pl, lb, flat_label(lb, rng.integers(0, 1 << 20, n_leave) % flats[lb]), 0)
    H = parts_hh[-1]
    left = s - rng.integers(20, 1800, n_leave)
    H["left"] = left
    H["start"] = np.minimum(H["start"], left - rng.integers(60, 3000, n_leave))
    H["prev_start"] = np.where(H["prev_start"] < H["start"], H["prev_start"], NA)
    H["prev_bld"] = np.where(H["prev_start"] < NA, H["prev_bld"], -1)
    u = rng.random(n_leave)
    reason = np.where(
        u < 0.68, "Wegzug", np.where(u < 0.84, "Wegzug Ausland", np.where(u < 0.9, "von Amts wegen", "Tod"))
    )
    old_single = (H["htype"] == 0) & (rng.random(n_leave) < 0.5)
    reason = np.where(reason == "Tod", np.where(old_single, "Tod", "Wegzug"), reason)
    H["reg_reason"] = reason.astype(object)
    H["reg_end"] = left
    H["kg"] = np.where(reason == "Wegzug", KG_OUTSIDE, np.where(reason == "Tod", KG_NONE, KG_NORMAL))
    H["kg_addr"] = np.array([outside_address() if r == "Wegzug" else -1 for r in reason])
    H["jc_end"] = np.minimum(H["jc_end"], left)
    H["scen_name"] = np.where(
        (reason == "Wegzug") & (H["n_kids"] > 0),
        "UMZUG_INLAND",
        np.where(
            np.isin(reason, ["Wegzug Ausland", "von Amts wegen"]) & (H["n_kids"] > 0),
            "WEGZUG_AUSLAND_KORREKT",
            "",
        ),
    ).astype(object)

    # --- planted groups --------------------------------------------------------------
    def place(n: int, misuse: bool) -> tuple[np.ndarray, np.ndarray]:
        in_problem = rng.random(n) < (rates.problem_share if misuse else 0.0)
        b = np.where(in_problem, problem[rng.integers(0, len(problem), n)], rng.integers(0, nb, n))
        return b, flat_label(b, rng.integers(0, 1 << 20, n) % flats[b])

    def families(
        n: int, min_age: float = 0.0, max_age: float = 17.5, twin: float = 0.015
    ) -> tuple[Table, Table]:
        return make_households(
            rng,
            n,
            s,
            type_p=(0, 0, 0.75, 0.25),
            min_kid_age_years=min_age,
            max_kid_age_years=max_age,
            twin_rate=twin,
        )

    def group(name: str, n: int, misuse: bool, **kw: float) -> tuple[Table, Table, int]:
        hh, p = families(n, **kw)
        b, f = place(len(hh), misuse)
        bh, _ = add_group(hh, p, b, f, name)
        H = parts_hh[-1]
        # planted families have lived here for a while and claim child benefit
        H["start"] = np.minimum(H["start"], s - 400)
        H["prev_start"] = np.where(H["prev_start"] < H["start"], H["prev_start"], NA)
        H["prev_bld"] = np.where(H["prev_start"] < NA, H["prev_bld"], -1)
        H["kg"] = KG_NORMAL
        H["jc_end"] = NA
        parts_p[-1]["scen_name"] = np.full(len(parts_p[-1]), name, dtype=object)
        return H, parts_p[-1], bh

    def count(name: str) -> int:
        return rates.count(name, residents)

    # AUSLAND_FAMILIE: left abroad; three ways of (not) being deregistered
    H, P, _ = group("AUSLAND_FAMILIE", count("ausland_familien"), True, min_age=7.0)
    n = len(H)
    left = s - rng.integers(120, 900, n)
    H["left"] = left
    H["start"] = np.minimum(H["start"], left - rng.integers(200, 2000, n))
    H["prev_start"] = np.where(H["prev_start"] < H["start"], H["prev_start"], NA)
    H["prev_bld"] = np.where(H["prev_start"] < NA, H["prev_bld"], -1)
    mode = np.arange(n) % 3  # 0 Wegzug Ausland, 1 von Amts wegen, 2 never deregistered
    H["reg_reason"] = np.where(mode == 0, "Wegzug Ausland", np.where(mode == 1, "von Amts wegen", "")).astype(
        object
    )
    H["reg_end"] = np.where(
        mode == 0, left, np.where(mode == 1, np.minimum(left + rng.integers(60, 300, n), s - 5), NA)
    )
    H["kg"] = KG_CONTINUES
    H["jc"] = np.where(H["jc"] == JC_NORMAL, JC_CONTINUES, JC_NONE)
    H["jc_end"] = NA

    # GEISTERKIND: one or two invented children added to a real family's claim
    H, P, bh = group("GEISTERKIND", count("geisterkinder"), True)
    _, gp = families(len(H), max_age=15.0)
    gk = gp.take(np.nonzero(gp["role"] == 2)[0])
    first_kid = np.unique(gk["hh"], return_index=True)[1]
    gk = gk.take(first_kid)
    gk["hh"] = gk["hh"] + bh
    fam_of = {int(h): str(f) for h, f, r in zip(P["hh"], P["fam"], P["role"], strict=True) if r == 0}
    gk["fam"] = _obj([fam_of[int(h)] for h in gk["hh"]])
    gk["origin"] = H["origin"][gk["hh"] - bh]
    gk["birth_name"] = np.full(len(gk), "", dtype=object)
    for k, v in (
        ("ghost", True),
        ("abroad", False),
        ("school", SCHOOL_NONE),
        ("gap", -1),
        ("training", False),
    ):
        gk[k] = v
    gk["seu_status"] = np.full(len(gk), "", dtype=object)
    gk["scen_name"] = np.full(len(gk), "GEISTERKIND", dtype=object)
    parts_p.append(gk)

    # DOPPELBEZUG: the children are paid a second time under another Kindergeldnummer
    H, P, _ = group("DOPPELBEZUG", count("doppelbezug"), True)
    H["htype"] = 2
    H["kg_double"] = True

    # SCHULABSENTISMUS: school-age children absent for 20+ school days
    H, P, _ = group("SCHULABSENTISMUS", count("schulabsentismus"), True, min_age=7.5, max_age=15.5)
    kid = P["role"] == 2
    gaps = rng.integers(20, 90, len(P))
    gaps[np.nonzero(kid)[0][:1]] = 20  # the boundary: exactly 20 school days
    P["gap"] = np.where(kid, gaps, -1)

    # SCHULE_OHNE_MELDUNG: lives elsewhere, school knows a city address, not registered
    H, P, _ = group("SCHULE_OHNE_MELDUNG", count("schule_ohne_meldung"), True, min_age=7.0, max_age=15.5)
    H["registered"] = False
    H["kg"] = KG_OUTSIDE
    H["kg_addr"] = np.array([outside_address() for _ in range(len(H))])
    H["jc"] = JC_NONE
    H["school_addr"] = H["bld"]

    # SEU_NICHT_ERSCHIENEN: due at school since 1 August, not examined, not enrolled, paid
    H, P, _ = group("SEU_NICHT_ERSCHIENEN", count("seu_nicht_erschienen"), True)
    first = np.unique(P["hh"], return_index=True)[1]
    kid_rows = np.array([i for i in range(len(P)) if P["role"][i] == 2])
    one = kid_rows[np.unique(P["hh"][kid_rows], return_index=True)[1]]
    del first
    P["birth"][one] = ymd(y0 - 7, 10, 1) + rng.integers(0, 364, len(one))
    P["school"][one] = SCHOOL_NONE
    P["seu_status"][one] = "nicht erschienen"

    # UEBERBELEGUNG: sham registrations in a building until 10 m² per person is undercut
    n_over = count("ueberbelegung")
    over_cand = problem[buildings["area_known"][problem] & (buildings["area"][problem] <= 900)]
    over_b = rng.choice(over_cand if len(over_cand) else problem, n_over, replace=len(over_cand) < n_over)
    over_b = np.unique(over_b)
    need = np.ceil(buildings["area"][over_b] / 10).astype(int) + rng.integers(2, 8, len(over_b))
    tot = int(need.sum())
    hs, ps = make_households(rng, tot, s, type_p=(1, 0, 0, 0))
    bb = np.repeat(over_b, need)
    add_group(hs, ps, bb, flat_label(bb, rng.integers(0, 1 << 20, tot) % flats[bb]), "UEBERBELEGUNG")
    H = parts_hh[-1]
    H["start"] = s - rng.integers(20, 700, tot)
    H["prev_bld"] = -1
    H["prev_start"] = NA
    H["status"] = np.full(tot, "H", dtype=object)
    parts_p[-1]["scen_name"] = np.full(len(parts_p[-1]), "UEBERBELEGUNG", dtype=object)

    # MELDE_FLUKTUATION: short stays (registered and deregistered within the last year)
    n_fl = count("fluktuation")
    fl_cand = problem[(flats[problem] <= 6) & ~np.isin(problem, over_b)]
    fl_b = np.unique(rng.choice(fl_cand if len(fl_cand) else problem, n_fl, replace=len(fl_cand) < n_fl))
    events = np.maximum(10, 3 * flats[fl_b]) + 2
    k = (events + 1) // 2
    tot = int(k.sum())
    hs, ps = make_households(rng, tot, s, type_p=(1, 0, 0, 0))
    bb = np.repeat(fl_b, k)
    add_group(hs, ps, bb, flat_label(bb, rng.integers(0, 1 << 20, tot) % flats[bb]), "MELDE_FLUKTUATION")
    H = parts_hh[-1]
    st = s - rng.integers(60, 350, tot)
    H["start"] = st
    H["prev_bld"] = -1
    H["prev_start"] = NA
    end = st + ((s - 2 - st) * rng.uniform(0.1, 0.9, tot)).astype(np.int64) + 1
    H["left"] = end
    H["reg_end"] = end
    u = rng.random(tot)
    H["reg_reason"] = np.where(
        u < 0.4, "Wegzug", np.where(u < 0.7, "von Amts wegen", "Wegzug Ausland")
    ).astype(object)
    H["jc"] = JC_NONE
    H["status"] = np.full(tot, "H", dtype=object)
    parts_p[-1]["scen_name"] = np.full(len(parts_p[-1]), "MELDE_FLUKTUATION", dtype=object)

    # employers: natural pool and planted sham employers
    de_s = nm.names_for("DE")[2]
    n_emp = max(60, residents // 25)
    combos = [(sn, br) for br in nm.BRANCHES for sn in de_s]
    pick = rng.permutation(len(combos))[: min(n_emp, len(combos))]
    legal = [f for f, _ in nm.LEGAL_FORMS]
    legal_p = np.array([p for _, p in nm.LEGAL_FORMS])
    lf = rng.choice(len(legal), len(pick), p=legal_p / legal_p.sum())
    employers = [f"{combos[i][0]} {combos[i][1]} {legal[j]}" for i, j in zip(pick, lf, strict=True)]
    n_sham = count("scheinarbeitgeber")
    n_under = count("arbeitgeber_unter_schwelle")
    sham_names = []
    for i in range(n_sham + n_under):
        stem = nm.COMPANY_STEMS[int(rng.integers(len(nm.COMPANY_STEMS)))]
        br = nm.BRANCHES[int(rng.integers(len(nm.BRANCHES)))]
        sham_names.append(f"{stem}-{br} {i + 1} {legal[int(lf[i % len(lf)])]}")
    first_sham = len(employers)
    employers += sham_names

    # SCHEINARBEITGEBER: 6-12 single benefit recipients with mini jobs, mostly in problem properties
    sizes = rng.integers(6, 13, n_sham)
    tot = int(sizes.sum())
    hs, ps = make_households(rng, tot, s, type_p=(1, 0, 0, 0))
    b, f = place(tot, True)
    add_group(hs, ps, b, f, "SCHEINARBEITGEBER")
    H = parts_hh[-1]
    H["jc"] = JC_NORMAL
    H["jc_end"] = NA
    H["jc_employer"] = first_sham + np.repeat(np.arange(n_sham), sizes)
    parts_p[-1]["scen_name"] = np.full(len(parts_p[-1]), "SCHEINARBEITGEBER", dtype=object)
    # ARBEITGEBER_UNTER_SCHWELLE (trap): exactly 4
    tot = 4 * n_under
    hs, ps = make_households(rng, tot, s, type_p=(1, 0, 0, 0))
    b, f = place(tot, False)
    add_group(hs, ps, b, f, "ARBEITGEBER_UNTER_SCHWELLE")
    H = parts_hh[-1]
    H["jc"] = JC_NORMAL
    H["jc_end"] = NA
    H["jc_employer"] = first_sham + n_sham + np.repeat(np.arange(n_under), 4)
    parts_p[-1]["scen_name"] = np.full(len(parts_p[-1]), "ARBEITGEBER_UNTER_SCHWELLE", dtype=object)

    # ADRESSE_UNBEKANNT: half families (Kindergeld), half singles (Bürgergeld) at invented addresses
    n_au = count("adresse_unbekannt")
    H, P, _ = group("ADRESSE_UNBEKANNT", (n_au + 1) // 2, True)
    H["kg"] = KG_NORMAL
    H["kg_addr"] = np.array([fake_address() for _ in range(len(H))])
    hs, ps = make_households(rng, max(1, n_au // 2), s, type_p=(1, 0, 0, 0))
    b, f = place(len(hs), True)
    add_group(hs, ps, b, f, "ADRESSE_UNBEKANNT")
    H = parts_hh[-1]
    H["jc"] = JC_NORMAL
    H["jc_end"] = NA
    H["jc_addr"] = np.array([fake_address() for _ in range(len(H))])
    parts_p[-1]["scen_name"] = np.full(len(parts_p[-1]), "ADRESSE_UNBEKANNT", dtype=object)

    # SGB2_AUSLAND: single benefit recipients who left the country, benefits continue
    hs, ps = make_households(rng, count("sgb2_ausland"), s, type_p=(1, 0, 0, 0))
    b, f = place(len(hs), True)
    add_group(hs, ps, b, f, "SGB2_AUSLAND")
    H = parts_hh[-1]
    n = len(H)
    left = s - rng.integers(60, 700, n)
    H["left"] = left
    H["start"] = np.minimum(H["start"], left - 400)
    H["prev_bld"] = -1
    H["prev_start"] = NA
    H["reg_end"] = np.where(np.arange(n) % 2 == 0, left, np.minimum(left + 120, s - 3))
    H["reg_reason"] = np.where(np.arange(n) % 2 == 0, "Wegzug Ausland", "von Amts wegen").astype(object)
    H["jc"] = JC_CONTINUES
    H["jc_start"] = np.minimum(H["jc_start"], left - 100)
    H["jc_end"] = NA
    H["status"] = np.full(n, "H", dtype=object)
    parts_p[-1]["scen_name"] = np.full(len(parts_p[-1]), "SGB2_AUSLAND", dtype=object)

    # --- traps -------------------------------------------------------------------------
    H, P, _ = group("SCHULE_AUSSERHALB", count("schule_ausserhalb"), False, min_age=7.0, max_age=15.5)
    P["school"] = np.where(P["role"] == 2, SCHOOL_NONE, SCHOOL_NORMAL)

    # KIND_IM_AUSLAND: EU citizens working here, children living in the home country
    n = count("kind_im_ausland")
    hh_k, p_k = families(n)
    eu_origin = np.array([nm.ORIGINS.index(c) for c in ("RO", "BG", "PL")])
    hh_k["origin"] = eu_origin[rng.integers(0, 3, n)]
    # re-draw names consistently for the chosen origin: simplest is to regenerate per origin
    regen = []
    for i, o in enumerate(hh_k["origin"]):
        while True:
            hx, px = families(1)
            if hx["origin"][0] == o:
                px["hh"] = px["hh"] + i
                regen.append((hx, px))
                break
    hh_k = Table.concat([r[0] for r in regen])
    p_k = Table.concat([r[1] for r in regen])
    b, f = place(n, False)
    add_group(hh_k, p_k, b, f, "KIND_IM_AUSLAND")
    P = parts_p[-1]
    P["abroad"] = P["role"] == 2
    P["scen_name"] = np.full(len(P), "KIND_IM_AUSLAND", dtype=object)

    H, P, _ = group("UMZUG_INLAND", count("umzug_inland"), False, min_age=4.0)
    n = len(H)
    left = s - rng.integers(20, 330, n)
    H["left"] = left
    H["start"] = np.minimum(H["start"], left - 500)
    H["prev_start"] = np.where(H["prev_start"] < H["start"], H["prev_start"], NA)
    H["prev_bld"] = np.where(H["prev_start"] < NA, H["prev_bld"], -1)
    H["reg_end"] = left
    H["reg_reason"] = np.full(n, "Wegzug", dtype=object)
    H["kg"] = KG_OUTSIDE
    H["kg_addr"] = np.array([outside_address() for _ in range(n)])
    H["jc_end"] = np.minimum(H["jc_end"], left)

    H, P, _ = group("ZUZUG_NEU", count("zuzug_neu"), False, min_age=3.0)
    H["start"] = s - rng.integers(7, 75, len(H))
    H["prev_bld"] = -1
    H["prev_start"] = NA
    H["kg_outdated"] = False

    # NAMENSVETTER: pairs of unrelated families whose child has the same name and birth year
    n = count("namensvettern")
    H, P, bh = group("NAMENSVETTER", 2 * n, False, min_age=6.5, max_age=15.0)
    kid_rows = np.nonzero(P["role"] == 2)[0]
    first_kid_rows = kid_rows[np.unique(P["hh"][kid_rows], return_index=True)[1]]
    for a, bidx in zip(first_kid_rows[0::2], first_kid_rows[1::2], strict=False):
        ha, hb = P["hh"][a], P["hh"][bidx]
        P["fam"][P["hh"] == hb] = P["fam"][a]
        P["origin"][P["hh"] == hb] = P["origin"][a]
        P["given"][bidx] = P["given"][a]
        P["sex"][bidx] = P["sex"][a]
        ya = int(P["birth"][a])
        shift = int(rng.integers(20, 150))
        same_year_b = (
            ya + shift if int(ymd(np.array([int(_year(ya))]), 12, 31)[0]) >= ya + shift else ya - shift
        )
        P["birth"][bidx] = same_year_b
        del ha

    H, P, _ = group("ZWILLINGE", count("zwillinge"), False, twin=1.0)
    H["htype"] = 2

    H, P, _ = group("WEGZUG_AUSLAND_KORREKT", count("wegzug_ausland_korrekt"), False, min_age=4.0)
    n = len(H)
    left = s - rng.integers(60, 800, n)
    H["left"] = left
    H["start"] = np.minimum(H["start"], left - 500)
    H["prev_start"] = np.where(H["prev_start"] < H["start"], H["prev_start"], NA)
    H["prev_bld"] = np.where(H["prev_start"] < NA, H["prev_bld"], -1)
    H["reg_end"] = left
    H["reg_reason"] = np.full(n, "Wegzug Ausland", dtype=object)
    H["kg"] = KG_NORMAL
    H["jc_end"] = np.minimum(H["jc_end"], left)

    H, P, _ = group("KRANK_KURZ", count("krank_kurz"), False, min_age=7.5, max_age=15.5)
    kid = P["role"] == 2
    gaps = rng.integers(10, 20, len(P))
    gaps[np.nonzero(kid)[0][:1]] = 19  # the boundary: 19 school days do not fire
    P["gap"] = np.where(kid, gaps, -1)

    # STICHTAG_GRENZE: born 1 October six years before the school year -> not yet due
    H, P, _ = group("STICHTAG_GRENZE", count("stichtag_grenze"), False)
    kid_rows = np.nonzero(P["role"] == 2)[0]
    one = kid_rows[np.unique(P["hh"][kid_rows], return_index=True)[1]]
    P["birth"][one] = ymd(y0 - 6, 10, 1)
    P["school"][one] = SCHOOL_NONE

    hh = Table.concat(parts_hh)
    persons = Table.concat(parts_p)
    # natural twins and preschool children etc. are marked as traps in the records module
    if extra:
        ex = list(zip(*extra, strict=True))
        addresses = Table.concat(
            [
                addresses,
                Table(
                    {
                        "street": _obj(list(ex[0])),
                        "hnr": np.array(ex[1], dtype=np.int64),
                        "zusatz": _obj(list(ex[2])),
                        "plz": np.array(ex[3], dtype=np.int64),
                        "ort": _obj(list(ex[4])),
                        "objekt": np.full(len(extra), -1),
                    }
                ),
            ]
        )
    schools = make_schools(rng, residents, nb)
    return World(
        stichtag=stichtag,
        s=s,
        residents=residents,
        buildings=buildings,
        addresses=addresses,
        hh=hh,
        persons=persons,
        schools=schools,
        employers=_obj(employers),
        scenario_names=[],
        rates=rates,
    )


def _year(d: int) -> int:
    from .dates import year

    return int(year(np.array([d]))[0])


SCHOOL_KINDS = ("Grundschule", "Sekundarstufe", "Berufskolleg")


def make_schools(rng: np.random.Generator, residents: int, nb: int) -> Table:
    n_gs = max(2, residents // 6500)
    n_sek = max(2, residents // 16000)
    n_bk = max(1, residents // 45000)
    stems = list(nm.STREET_STEMS)
    rows: list[tuple[int, str]] = []
    sek_kinds = ("Gesamtschule", "Gymnasium", "Realschule", "Hauptschule")
    used: set[str] = set()
    for kind, n in ((0, n_gs), (1, n_sek), (2, n_bk)):
        for i in range(n):
            stem = stems[int(rng.integers(len(stems)))]
            if kind == 0:
                name = f"Grundschule {stem}straße"
            elif kind == 1:
                name = f"{sek_kinds[i % 4]} {stem}"
            else:
                name = f"Berufskolleg {CITY} {['Ost', 'West', 'Mitte', 'Nord', 'Süd'][i % 5]}"
            while name in used:
                name = name + " II"
            used.add(name)
            rows.append((kind, name))
    nums = rng.choice(np.arange(100000, 200000), len(rows), replace=False)
    return Table(
        {
            "kind": np.array([r[0] for r in rows]),
            "name": _obj([r[1] for r in rows]),
            "nummer": nums,
            "stand_lag": rng.integers(0, 4, len(rows)),
        }
    )


def entry_year(birth: np.ndarray) -> np.ndarray:
    return school_entry_year(birth)


def kg_amount(ref_day: np.ndarray) -> np.ndarray:
    from .dates import year

    y = year(ref_day)
    return np.where(y <= 2024, 250, np.where(y == 2025, 255, 259))


__all__ = ["MISUSE_RULES", "TRAPS_THAT_FIRE", "TRAP_RULES", "Rates", "World", "build_world"]
