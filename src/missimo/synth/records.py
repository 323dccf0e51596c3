"""From the truth model to the six agency exports (plus truth columns for the oracle)."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from missimo.engine.calendar_nrw import school_day_counter

from . import variants as v
from .dates import NA, month_end, month_start, schulpflichtig, ymd
from .dates import year as year_of
from .world import (
    JC_CONTINUES,
    JC_NONE,
    KG_CONTINUES,
    KG_NONE,
    KG_NORMAL,
    KG_OUTSIDE,
    SCHOOL_ABSENT,
    SCHOOL_NONE,
    World,
    entry_year,
    kg_amount,
    school_year_start,
)

COLUMNS: dict[str, list[str]] = {
    "melderegister": [
        "Ordnungsmerkmal", "Familienname", "Vornamen", "Geburtsname", "Geburtsdatum", "Geschlecht",
        "Staatsangehoerigkeit", "Strasse", "Hausnummer", "Hausnummerzusatz", "PLZ", "Ort", "Wohnung",
        "Wohnungsstatus", "Einzugsdatum", "Auszugsdatum", "Abmeldegrund",
    ],
    "kindergeld": [
        "Kindergeldnummer", "Kind_Nr", "Berechtigter_Familienname", "Berechtigter_Vornamen",
        "Berechtigter_Geburtsdatum", "Strasse", "Hausnummer", "Hausnummerzusatz", "PLZ", "Ort",
        "Kind_Familienname", "Kind_Vornamen", "Kind_Geburtsdatum", "Kind_Wohnsitz", "Zahlung_ab",
        "Zahlung_bis", "Monatsbetrag",
    ],
    "schule": [
        "Schulnummer", "Schulname", "Schueler_ID", "Nachname", "Vorname", "Geburtsdatum", "Geschlecht",
        "Strasse", "Hausnummer", "Hausnummerzusatz", "PLZ", "Ort", "Klasse", "Aufnahmedatum",
        "Entlassdatum", "Letzter_Anwesenheitstag", "Fehlstunden_unentschuldigt", "Stand",
    ],
    "jobcenter": [
        "BG_Nummer", "Person_Nr", "Familienname", "Vornamen", "Geburtsdatum", "Strasse", "Hausnummer",
        "Hausnummerzusatz", "PLZ", "Ort", "Leistung_ab", "Leistung_bis", "Arbeitgeber", "Erwerbseinkommen",
    ],
    "seu": [
        "SEU_ID", "Familienname", "Vornamen", "Geburtsdatum", "Geschlecht", "Strasse", "Hausnummer",
        "Hausnummerzusatz", "PLZ", "Ort", "Einschulungsjahr", "Einladungsdatum", "Status",
    ],
    "objekte": [
        "Objekt_ID", "Strasse", "Hausnummer", "Hausnummerzusatz", "PLZ", "Ort", "Wohneinheiten",
        "Wohnflaeche_m2", "Eigentuemer", "Baujahr", "UTM_Ost", "UTM_Nord",
    ],
}  # fmt: skip
SOURCES = tuple(COLUMNS)
ADDRESS = ["Strasse", "Hausnummer", "Hausnummerzusatz", "PLZ", "Ort"]


@dataclasses.dataclass
class Records:
    """Per source: the export (contract columns, strings) and truth columns (prefixed ``t_``)."""

    frames: dict[str, pl.DataFrame]
    city_plz: frozenset[int]


def person_ids(n: int) -> np.ndarray:
    return np.array([f"P{i + 1:07d}" for i in range(n)], dtype=object)


def objekt_ids(n: int) -> pl.Series:
    return pl.Series([f"OB{i + 1:06d}" for i in range(n)], dtype=pl.String)


def _addr_cols(rng: np.random.Generator, w: World, addr: np.ndarray, empty: np.ndarray | None = None) -> dict:
    a = w.addresses
    street, hnr, zusatz = v.render_address(rng, a["street"][addr], a["hnr"][addr], a["zusatz"][addr])
    plz = pl.Series(a["plz"][addr]).cast(pl.String)
    ort = pl.Series(a["ort"][addr], dtype=pl.String)
    cols = {"Strasse": street, "Hausnummer": hnr, "Hausnummerzusatz": zusatz, "PLZ": plz, "Ort": ort}
    if empty is not None and empty.any():
        blank = pl.Series([""] * len(addr), dtype=pl.String)
        m = pl.Series(empty)
        cols = {k: blank.zip_with(m, s) for k, s in cols.items()}
    return cols


def build_records(w: World, seed: int) -> Records:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    s = w.s
    H, P, A = w.hh, w.persons, w.addresses
    n_p = len(P)
    hh = P["hh"]
    pid = person_ids(n_p)
    obj_ids = objekt_ids(len(w.buildings))
    addr_obj = A["objekt"]
    city_plz = frozenset(int(x) for x in np.unique(w.buildings["plz"]))
    in_city_addr = np.isin(A["plz"], np.array(sorted(city_plz)))
    frames: dict[str, pl.DataFrame] = {}
    real = ~P["ghost"] & ~P["abroad"]
    arrival = np.where(H["prev_start"] < NA, np.minimum(H["prev_start"], H["start"]), H["start"])

    def obj_col(addr: np.ndarray) -> pl.Series:
        o = addr_obj[addr]
        ids = obj_ids.gather(np.maximum(o, 0))
        return ids.zip_with(pl.Series(o >= 0), pl.Series([None] * len(o), dtype=pl.String))

    # ---------------------------------------------------------------- melderegister
    om_num = 100_000_000 + (np.arange(n_p, dtype=np.int64) * 7919 + 12345) % 900_000_000
    om = pl.Series(om_num).cast(pl.String)
    regp = real & H["registered"][hh]
    rows_p, rows_b, rows_in, rows_out, rows_reason, rows_status, rows_flat = [], [], [], [], [], [], []
    # previous dwelling in the city
    m = regp & (H["prev_start"][hh] < NA) & (P["birth"] < H["start"][hh])
    idx = np.nonzero(m)[0]
    rows_p.append(idx)
    rows_b.append(H["prev_bld"][hh[idx]])
    rows_in.append(np.maximum(H["prev_start"][hh[idx]], P["birth"][idx]))
    rows_out.append(H["start"][hh[idx]])
    rows_reason.append(np.full(len(idx), "Umzug", dtype=object))
    rows_status.append(np.full(len(idx), "H", dtype=object))
    rows_flat.append(np.full(len(idx), "", dtype=object))
    # current (or last) dwelling
    m = regp & (P["birth"] < H["reg_end"][hh]) & (P["birth"] < H["left"][hh])
    idx = np.nonzero(m)[0]
    rows_p.append(idx)
    rows_b.append(H["bld"][hh[idx]])
    rows_in.append(np.maximum(H["start"][hh[idx]], P["birth"][idx]))
    rows_out.append(H["reg_end"][hh[idx]])
    rows_reason.append(H["reg_reason"][hh[idx]])
    rows_status.append(H["status"][hh[idx]])
    rows_flat.append(H["flat"][hh[idx]])
    mp = np.concatenate(rows_p)
    mb = np.concatenate(rows_b)
    m_in = np.concatenate(rows_in)
    m_out = np.concatenate(rows_out)
    m_in = np.minimum(m_in, s)
    ok = m_in < m_out
    mp, mb, m_in, m_out = mp[ok], mb[ok], m_in[ok], m_out[ok]
    m_reason = np.concatenate(rows_reason)[ok]
    m_status = np.concatenate(rows_status)[ok]
    m_flat = np.concatenate(rows_flat)[ok]
    fam, given = v.render_names(
        rng, P["fam"][mp], P["given"][mp], P["birth_name"][mp], P["origin"][mp], "melderegister"
    )
    mreg = pl.DataFrame(
        {
            "Ordnungsmerkmal": om.gather(mp),
            "Familienname": fam,
            "Vornamen": given,
            "Geburtsname": pl.Series(P["birth_name"][mp], dtype=pl.String),
            "Geburtsdatum": v.render_birth(
                rng, P["birth"][mp], P["unknown_dm"][mp], P["unknown_d"][mp], "melderegister"
            ),
            "Geschlecht": pl.Series(P["sex"][mp], dtype=pl.String),
            "Staatsangehoerigkeit": pl.Series(P["nationality"][mp], dtype=pl.String),
            **_addr_cols(rng, w, mb),
            "Wohnung": pl.Series(m_flat, dtype=pl.String),
            "Wohnungsstatus": pl.Series(m_status, dtype=pl.String),
            "Einzugsdatum": v.fmt_dates(m_in),
            "Auszugsdatum": v.fmt_dates(m_out),
            "Abmeldegrund": pl.Series(np.where(m_out < NA, m_reason, ""), dtype=pl.String),
            "t_pid": pl.Series(pid[mp], dtype=pl.String),
            "t_p": mp,
            "t_addr": mb,
            "t_in": m_in,
            "t_out": m_out,
            "t_reason": pl.Series(np.where(m_out < NA, m_reason, ""), dtype=pl.String),
            "t_status": pl.Series(m_status, dtype=pl.String),
        }
    ).sort(["Ordnungsmerkmal", "t_in"], maintain_order=True)
    frames["melderegister"] = mreg.with_columns(t_key=pl.col("Ordnungsmerkmal"))

    # ---------------------------------------------------------------- kindergeld
    kid = (P["role"] == 2) & (H["kg"][hh] != KG_NONE)
    birth = P["birth"]
    ab = month_start(np.maximum(birth, np.where(P["ghost"] | P["abroad"], H["start"][hh], arrival[hh])))
    y18 = year_of(birth) + 18
    b18_end = month_end(
        ymd(y18, (birth.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12) + 1, 1)
    )
    age18 = b18_end < s
    bis = np.where(age18 & ~P["training"], b18_end, NA)
    left = H["left"][hh]
    mode = H["kg"][hh]
    # the Familienkasse stops payment with the month of departure (or the month before,
    # when the departure falls into the Stichtag's month)
    stop = np.where(month_end(left) >= s, month_start(left) - 1, month_end(left))
    bis = np.where((mode == KG_NORMAL) & (left < NA), np.minimum(bis, stop), bis)
    born_before_left = (birth < left) | (mode == KG_OUTSIDE)
    ok = kid & born_before_left & (ab <= bis) & (ab <= s)
    kidx = np.nonzero(ok)[0]
    # entitled person: the mother if there is one in the household, else the first adult
    n_h = len(H)
    first_adult = np.full(n_h, -1)
    mother = np.full(n_h, -1)
    father = np.full(n_h, -1)
    adults = np.nonzero(P["role"] < 2)[0]
    first_adult[hh[adults[::-1]]] = adults[::-1]
    wom = adults[P["sex"][adults] == "w"]
    mother[hh[wom[::-1]]] = wom[::-1]
    men = adults[P["sex"][adults] != "w"]
    father[hh[men[::-1]]] = men[::-1]
    ent = np.where(mother >= 0, mother, first_adult)
    claim_hh = np.unique(hh[kidx])
    fk_code = np.where(rng.random(n_h) < 0.9, "214", np.where(rng.random(n_h) < 0.5, "215", "217"))
    kg_num = np.zeros(n_h, dtype=np.int64)
    dbl = np.nonzero(H["kg_double"][hh[kidx]])[0]
    second_num = np.zeros(n_h, dtype=np.int64)
    dbl_hh = np.unique(hh[kidx[dbl]])
    numbers = rng.choice(1_000_000, len(claim_hh) + len(dbl_hh), replace=False)  # unique over all claims
    kg_num[claim_hh] = numbers[: len(claim_hh)]
    second_num[dbl_hh] = numbers[len(claim_hh) :]
    kg_parts = []
    for which in (0, 1):
        kk = kidx if which == 0 else kidx[dbl]
        if len(kk) == 0:
            continue
        kh = hh[kk]
        if which == 0:
            nr = pl.Series(fk_code[kh]) + "FK" + pl.Series(kg_num[kh]).cast(pl.String).str.zfill(6)
            e = ent[kh]
        else:
            nr = (
                pl.Series(np.where(fk_code[kh] == "214", "217", "214"))
                + "FK"
                + pl.Series(second_num[kh]).cast(pl.String).str.zfill(6)
            )
            e = np.where(father[kh] >= 0, father[kh], ent[kh])
        addr = np.where(
            H["kg_addr"][kh] >= 0,
            H["kg_addr"][kh],
            np.where(H["kg_outdated"][kh] & (H["prev_bld"][kh] >= 0), H["prev_bld"][kh], H["bld"][kh]),
        )
        kg_parts.append((kk, kh, nr, e, addr))
    kk = np.concatenate([p[0] for p in kg_parts])
    kh = np.concatenate([p[1] for p in kg_parts])
    nr = pl.concat([p[2] for p in kg_parts])
    e = np.concatenate([p[3] for p in kg_parts])
    kaddr = np.concatenate([p[4] for p in kg_parts])
    k_birth_true = birth[kk]
    sp_true = schulpflichtig(k_birth_true, s)
    b_fam, b_given = v.render_names(
        rng, P["fam"][e], P["given"][e], P["birth_name"][e], P["origin"][e], "kindergeld"
    )
    k_fam, k_given = v.render_names(
        rng, P["fam"][kk], P["given"][kk], P["birth_name"][kk], P["origin"][kk], "kindergeld"
    )
    kbis = bis[kk]
    ref = np.minimum(kbis, s)
    kg = pl.DataFrame(
        {
            "Kindergeldnummer": nr,
            "t_birth": k_birth_true,
            "Berechtigter_Familienname": b_fam,
            "Berechtigter_Vornamen": b_given,
            "Berechtigter_Geburtsdatum": v.render_birth(
                rng, P["birth"][e], P["unknown_dm"][e], P["unknown_d"][e], "kindergeld"
            ),
            **_addr_cols(rng, w, kaddr),
            "Kind_Familienname": k_fam,
            "Kind_Vornamen": k_given,
            # a swapped day/month must not change whether the child is schulpflichtig at S
            "Kind_Geburtsdatum": v.render_birth(
                rng,
                k_birth_true,
                np.zeros(len(kk), bool),
                np.zeros(len(kk), bool),
                "kindergeld",
                keep=_swap_changes_duty(k_birth_true, s, sp_true),
            ),
            "Kind_Wohnsitz": pl.Series(np.where(P["abroad"][kk], "Ausland", "Inland"), dtype=pl.String),
            "Zahlung_ab": v.fmt_dates(ab[kk]),
            "Zahlung_bis": v.fmt_dates(kbis),
            "Monatsbetrag": v.euro(kg_amount(ref) * 100),
            "t_pid_b": pl.Series(pid[e], dtype=pl.String),
            "t_pid_k": pl.Series(pid[kk], dtype=pl.String),
            "t_p_k": kk,
            "t_p_b": e,
            "t_addr": kaddr,
            "t_ab": ab[kk],
            "t_bis": kbis,
            "t_amount": kg_amount(ref),
            "t_inland": ~P["abroad"][kk],
        }
    )
    kg = kg.sort(["Kindergeldnummer", "t_birth", "t_p_k"], maintain_order=True)
    kg = kg.with_columns(
        Kind_Nr=pl.int_range(1, pl.len() + 1).over("Kindergeldnummer").cast(pl.String),
    )
    # one claim, one entitled person: her name, birth date and address are written once per claim
    per_claim = ["Berechtigter_Familienname", "Berechtigter_Vornamen", "Berechtigter_Geburtsdatum", *ADDRESS]
    kg = kg.with_columns(pl.col(c).first().over("Kindergeldnummer") for c in per_claim)
    frames["kindergeld"] = kg.with_columns(t_key=pl.col("Kindergeldnummer") + "/" + pl.col("Kind_Nr"))

    # ---------------------------------------------------------------- schule
    frames["schule"] = _schule(rng, w, pid, real)
    # ---------------------------------------------------------------- jobcenter
    frames["jobcenter"] = _jobcenter(rng, w, pid, real)
    # ---------------------------------------------------------------- seu
    frames["seu"] = _seu(rng, w, pid, real, arrival)
    # ---------------------------------------------------------------- objekte
    B = w.buildings
    nb = len(B)
    oaddr = np.arange(nb)
    area = v.decimal_comma(B["area"])
    objekte = pl.DataFrame(
        {
            "Objekt_ID": obj_ids,
            **_addr_cols(rng, w, oaddr),
            "Wohneinheiten": pl.Series(B["flats"]).cast(pl.String),
            "Wohnflaeche_m2": area.zip_with(
                pl.Series(B["area_known"]), pl.Series([""] * nb, dtype=pl.String)
            ),
            "Eigentuemer": pl.Series(B["owner"], dtype=pl.String),
            "Baujahr": pl.Series(B["baujahr"]).cast(pl.String),
            "UTM_Ost": v.decimal_comma(B["east"], 2),
            "UTM_Nord": v.decimal_comma(B["north"], 2),
            "t_addr": oaddr,
            "t_area": np.where(B["area_known"], B["area"], np.nan),
            "t_flats": B["flats"],
        }
    )
    frames["objekte"] = objekte.with_columns(t_key=pl.col("Objekt_ID"))
    for name, df in frames.items():
        if (df["t_addr"] < 0).any():
            raise AssertionError(f"{name}: record without an address in the truth model")
        o = addr_obj[df["t_addr"].to_numpy()]
        df = df.with_columns(
            t_objekt=obj_col(df["t_addr"].to_numpy()),
            t_in_city=pl.Series(in_city_addr[df["t_addr"].to_numpy()]),
        )
        if name == "schule":
            df = df.with_columns(
                t_in_city=pl.col("t_in_city") & ~pl.col("t_addr_empty"),
                t_objekt=pl.when(pl.col("t_addr_empty")).then(None).otherwise(pl.col("t_objekt")),
            )
        del o
        frames[name] = df
    return Records(frames=frames, city_plz=city_plz)


def _swap_changes_duty(birth: np.ndarray, s: int, sp: np.ndarray) -> np.ndarray:
    """True where swapping day and month of the birth date would change school duty at S."""
    from .dates import dom, month, year

    d, m, y = dom(birth), month(birth), year(birth)
    ok = d <= 12
    swapped = ymd(y, np.where(ok, d, m), np.where(ok, m, d))
    return schulpflichtig(swapped, s) != sp


def _school_days() -> tuple[int, np.ndarray, np.ndarray]:
    first, cum = school_day_counter()
    days = first + np.nonzero(np.diff(cum))[0]
    return first, cum, days


def _schule(rng: np.random.Generator, w: World, pid: np.ndarray, real: np.ndarray) -> pl.DataFrame:
    H, P, SC = w.hh, w.persons, w.schools
    s = w.s
    hh = P["hh"]
    n = len(P)
    first, cum, sdays = _school_days()
    left = H["left"][hh]
    in_city_hh = H["registered"][hh] | (H["school_addr"][hh] >= 0)
    arrival = np.where(H["prev_start"] < NA, np.minimum(H["prev_start"], H["start"]), H["start"])[hh]
    cand = (P["role"] == 2) & real & in_city_hh & (P["school"] != SCHOOL_NONE)
    ref_day = np.minimum(left, s)
    y_ref = np.array([school_year_start_from_day(d) for d in _unique_days(ref_day)])[_inverse(ref_day)]
    e_year = entry_year(P["birth"])
    cls = y_ref - e_year + 1
    gym = rng.random(n) < 0.45
    bk_late = P["training"] & (rng.random(n) < 0.5)
    kind = np.full(n, -1)
    kind = np.where((cls >= 1) & (cls <= 4), 0, kind)
    kind = np.where((cls >= 5) & (cls <= 10), 1, kind)
    kind = np.where((cls >= 11) & (cls <= 13), np.where(gym, 1, 2), kind)
    kind = np.where((cls >= 14) & (cls <= 16) & bk_late, 2, kind)
    stage_start_year = np.where(
        kind == 0, e_year, np.where(kind == 1, e_year + 4, np.where(cls <= 13, e_year + 10, e_year + 13))
    )
    stage_start = ymd(stage_start_year, 8, 1)
    cur = cand & (kind >= 0)
    aufn = np.maximum(stage_start, arrival)
    # leavers: enrolment ended when they left, planted emigrants partly still enrolled
    still = (H["kg"][hh] == KG_CONTINUES) & (rng.random(n) < 0.5)
    entl = np.where(left < NA, np.where(still, NA, np.minimum(left + rng.integers(0, 100, n), s - 1)), NA)
    entl = np.where((H["kg"][hh] != KG_CONTINUES) & (left < NA), left, entl)
    cur &= aufn < np.minimum(entl, s + 1)
    cur &= aufn <= s
    # school per pupil
    kinds = SC["kind"]
    pools = [np.nonzero(kinds == k)[0] for k in range(3)]
    school = np.zeros(n, dtype=np.int64)
    for k in range(3):
        pool = pools[k]
        school = np.where(kind == k, pool[rng.integers(0, len(pool), n)], school)
    stand = s - SC["stand_lag"][school]
    # last day present
    c_stand = cum[stand - first + 1]
    k_norm = rng.choice(5, n, p=[0.6, 0.2, 0.1, 0.06, 0.04])
    gap = np.where(P["gap"] >= 0, P["gap"], k_norm)
    j = c_stand - 1 - gap
    la = sdays[np.clip(j, 0, len(sdays) - 1)]
    # emigrants still enrolled: last present before they left
    c_left = cum[np.clip(np.minimum(left, s) - first, 0, len(cum) - 1)]
    la = np.where((left < NA) & (entl >= NA), sdays[np.clip(c_left - 1, 0, len(sdays) - 1)], la)
    # ended enrolments: last day present before the end
    c_end = cum[np.clip(np.minimum(entl, s) - first, 0, len(cum) - 1)]
    la = np.where(entl < NA, sdays[np.clip(c_end - 1, 0, len(sdays) - 1)], la)
    # planted absences (and short sick leaves) refer to a pupil who was at this school before
    aufn = np.where((P["gap"] >= 0) & (la < aufn), la - 60, aufn)
    la = np.where(la < aufn, NA, la)
    absent_days = np.where(la < NA, cum[stand - first + 1] - cum[np.minimum(la, stand) - first + 1], 0)
    fehl = np.where(rng.random(n) < 0.7, 0, rng.geometric(0.15, n)) + absent_days * 5
    letter = np.array(list("abcd"))[rng.integers(0, 4, n)]
    klasse = np.where(
        kind == 0,
        cls.astype(str).astype(object) + letter,
        np.where(
            (kind == 1) & (cls <= 10),
            cls.astype(str).astype(object) + letter,
            np.where(
                kind == 1,
                np.array(["EF", "Q1", "Q2"])[np.clip(cls - 11, 0, 2)],
                "BK" + (cls - 10).astype(str).astype(object),
            ),
        ),
    )
    idx = np.nonzero(cur)[0]
    rows = [
        {
            "p": idx,
            "school": school[idx],
            "klasse": klasse[idx].astype(object),
            "aufn": aufn[idx],
            "entl": entl[idx],
            "la": la[idx],
            "fehl": fehl[idx],
            "stand": stand[idx],
        }
    ]
    # previous stage: primary school for secondary pupils who lived here then
    prev = cur & (kind == 1) & (cls >= 5) & (cls <= 10) & (arrival < ymd(e_year + 4, 8, 1))
    pidx = np.nonzero(prev)[0]
    gs = pools[0][rng.integers(0, len(pools[0]), len(pidx))]
    p_auf = np.maximum(ymd(e_year[pidx], 8, 1), arrival[pidx])
    p_ent = ymd(e_year[pidx] + 4, 7, 31)
    c_pe = cum[np.clip(p_ent - first, 0, len(cum) - 1)]
    p_la = np.where(p_ent >= w.s - 4000, sdays[np.clip(c_pe - 1, 0, len(sdays) - 1)], NA)
    p_la = np.where(p_la < p_auf, NA, p_la)
    rows.append(
        {
            "p": pidx,
            "school": gs,
            "klasse": np.array(["4" + ch for ch in letter[pidx]], dtype=object),
            "aufn": p_auf,
            "entl": p_ent,
            "la": p_la,
            "fehl": np.zeros(len(pidx), dtype=np.int64),
            "stand": stand[pidx],
        }
    )
    cat = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    sp = cat["p"]
    keep = cat["aufn"] < cat["entl"]
    cat = {k: val[keep] for k, val in cat.items()}
    sp = cat["p"]
    m = len(sp)
    sid = pl.Series(rng.permutation(m) + 10000 + m // 10).cast(pl.String)
    fam, given = v.render_names(
        rng, P["fam"][sp], P["given"][sp], P["birth_name"][sp], P["origin"][sp], "schule"
    )
    given = given.str.split(" ").list.first().zip_with(pl.Series(rng.random(m) < 0.6), given)
    addr = np.where(H["school_addr"][hh[sp]] >= 0, H["school_addr"][hh[sp]], H["bld"][hh[sp]])
    empty = (rng.random(m) < 0.02) & (H["scen_name"][hh[sp]] == "")
    nr = pl.Series(SC["nummer"][cat["school"]]).cast(pl.String)
    # figures refer to the Stand only for current enrolments
    df = pl.DataFrame(
        {
            "Schulnummer": nr,
            "Schulname": pl.Series(SC["name"][cat["school"]], dtype=pl.String),
            "Schueler_ID": sid,
            "Nachname": fam,
            "Vorname": given,
            "Geburtsdatum": v.render_birth(
                rng, P["birth"][sp], np.zeros(m, bool), np.zeros(m, bool), "schule"
            ),
            "Geschlecht": pl.Series(P["sex"][sp], dtype=pl.String),
            **_addr_cols(rng, w, addr, empty),
            "Klasse": pl.Series(cat["klasse"], dtype=pl.String),
            "Aufnahmedatum": v.fmt_dates(cat["aufn"]),
            "Entlassdatum": v.fmt_dates(cat["entl"]),
            "Letzter_Anwesenheitstag": v.fmt_dates(cat["la"]),
            "Fehlstunden_unentschuldigt": pl.Series(cat["fehl"]).cast(pl.String),
            "Stand": v.fmt_dates(cat["stand"]),
            "t_pid": pl.Series(pid[sp], dtype=pl.String),
            "t_p": sp,
            "t_addr": addr,
            "t_addr_empty": empty,
            "t_aufn": cat["aufn"],
            "t_entl": cat["entl"],
            "t_la": cat["la"],
            "t_stand": cat["stand"],
        }
    ).sort(["Schulnummer", "Schueler_ID"])
    return df.with_columns(t_key=pl.col("Schulnummer") + "/" + pl.col("Schueler_ID"))


def _unique_days(d: np.ndarray) -> np.ndarray:
    return np.unique(d)


def _inverse(d: np.ndarray) -> np.ndarray:
    return np.unique(d, return_inverse=True)[1]


def school_year_start_from_day(d: int) -> int:
    from .dates import to_date

    return school_year_start(to_date(int(d)))


MINIJOB_LIMIT_CENTS = 60300


def _jobcenter(rng: np.random.Generator, w: World, pid: np.ndarray, real: np.ndarray) -> pl.DataFrame:
    H, P = w.hh, w.persons
    s = w.s
    hh = P["hh"]
    mode = H["jc"][hh]
    ab = np.maximum(H["jc_start"][hh], P["birth"])
    bis = np.where(mode == JC_CONTINUES, NA, H["jc_end"][hh])
    bis = np.where((mode != JC_CONTINUES) & (H["left"][hh] < NA), np.minimum(bis, H["left"][hh]), bis)
    sel = (mode != JC_NONE) & real & (ab <= s) & (ab < bis) & (P["birth"] < H["left"][hh])
    idx = np.nonzero(sel)[0]
    jh = hh[idx]
    bh = np.unique(jh)
    num = np.zeros(len(H), dtype=np.int64)
    num[bh] = rng.choice(10_000_000, len(bh), replace=False)
    code = np.where(rng.random(len(H)) < 0.8, "35102", "35103")
    bg = pl.Series(code[jh]) + "BG" + pl.Series(num[jh]).cast(pl.String).str.zfill(7)
    adult = (s - P["birth"][idx]) >= 18 * 365.25
    employed = adult & (rng.random(len(idx)) < 0.28)
    mini = employed & (rng.random(len(idx)) < 0.45)
    income = np.where(mini, rng.integers(15000, 53800, len(idx)), rng.integers(70000, 190000, len(idx)))
    income = np.where(employed, income, 0)
    first_sham = (
        int(np.nonzero(np.char.find(w.employers.astype(str), "-") >= 0)[0].min()) if len(w.employers) else 0
    )
    emp = np.where(employed, rng.integers(0, max(first_sham, 1), len(idx)), -1)
    planted = (H["jc_employer"][jh] >= 0) & adult
    emp = np.where(planted, H["jc_employer"][jh], emp)
    inc_pl = rng.integers(30000, MINIJOB_LIMIT_CENTS + 1, len(idx))
    inc_pl[np.nonzero(planted)[0][:1]] = MINIJOB_LIMIT_CENTS  # the boundary: 603,00 is still a mini job
    income = np.where(planted, inc_pl, income)
    emp_name = np.where(emp >= 0, w.employers[np.maximum(emp, 0)], "").astype(object)
    u = rng.random(len(idx))
    emp_ser = pl.Series(emp_name, dtype=pl.String)
    emp_ser = emp_ser.str.to_uppercase().zip_with(pl.Series(u < 0.05), emp_ser)
    addr = np.where(
        H["jc_addr"][jh] >= 0,
        H["jc_addr"][jh],
        np.where((H["prev_bld"][jh] >= 0) & (rng.random(len(H)) < 0.02)[jh], H["prev_bld"][jh], H["bld"][jh]),
    )
    fam, given = v.render_names(
        rng, P["fam"][idx], P["given"][idx], P["birth_name"][idx], P["origin"][idx], "jobcenter"
    )
    df = pl.DataFrame(
        {
            "BG_Nummer": bg,
            "t_order": P["role"][idx].astype(np.int64) * 10**9 - (s - P["birth"][idx]),
            "Familienname": fam,
            "Vornamen": given,
            "Geburtsdatum": v.render_birth(
                rng, P["birth"][idx], P["unknown_dm"][idx], P["unknown_d"][idx], "jobcenter"
            ),
            **_addr_cols(rng, w, addr),
            "Leistung_ab": v.fmt_dates(ab[idx]),
            "Leistung_bis": v.fmt_dates(bis[idx]),
            "Arbeitgeber": emp_ser,
            "Erwerbseinkommen": v.euro(income).zip_with(
                pl.Series(income > 0), pl.Series([""] * len(idx), dtype=pl.String)
            ),
            "t_pid": pl.Series(pid[idx], dtype=pl.String),
            "t_p": idx,
            "t_addr": addr,
            "t_ab": ab[idx],
            "t_bis": bis[idx],
            "t_employer": emp,
            "t_income": income,
        }
    ).sort(["BG_Nummer", "t_order", "t_p"], maintain_order=True)
    df = df.with_columns(Person_Nr=pl.int_range(1, pl.len() + 1).over("BG_Nummer").cast(pl.String))
    # the Bedarfsgemeinschaft has one address, written once
    df = df.with_columns(pl.col(c).first().over("BG_Nummer") for c in ADDRESS)
    return df.with_columns(t_key=pl.col("BG_Nummer") + "/" + pl.col("Person_Nr"))


def _seu(
    rng: np.random.Generator, w: World, pid: np.ndarray, real: np.ndarray, arrival: np.ndarray
) -> pl.DataFrame:
    H, P = w.hh, w.persons
    s = w.s
    hh = P["hh"]
    n = len(P)
    y0 = school_year_start(w.stichtag)
    e = entry_year(P["birth"])
    kid = (P["role"] == 2) & real & H["registered"][hh]
    cur = kid & (e == y0)
    nxt = kid & (e == y0 + 1) & (s >= ymd(y0, 10, 1))
    lo = np.where(e == y0, ymd(y0 - 1, 10, 1), ymd(y0, 10, 1))
    hi = np.where(e == y0, ymd(y0, 6, 30), np.minimum(ymd(y0 + 1, 6, 30), s - 21))
    inv = lo + (rng.random(n) * np.maximum(hi - lo, 1)).astype(np.int64)
    inv = np.maximum(inv, arrival[hh] + 20)
    sel = (cur | nxt) & (inv <= np.minimum(hi, s - 21))
    left = H["left"][hh]
    reg_end = H["reg_end"][hh]
    sel &= (left > inv) | (reg_end > inv)
    u = rng.random(n)
    status = np.where(
        cur,
        np.where(u < 0.97, "untersucht", "nicht erschienen"),
        np.where(u < 0.94, "untersucht", "nicht erschienen"),
    )
    status = np.where(left < NA, np.where(left > inv, "verzogen", "nicht erschienen"), status)
    status = np.where((left < NA) & (left > inv) & (left - inv < 40), "verzogen", status)
    status = np.where((left < NA) & (left > inv + 40), "untersucht", status)
    status = np.where(P["seu_status"] != "", P["seu_status"], status)
    idx = np.nonzero(sel)[0]
    m = len(idx)
    fam, given = v.render_names(
        rng, P["fam"][idx], P["given"][idx], P["birth_name"][idx], P["origin"][idx], "seu"
    )
    seq = rng.permutation(m) + 1
    sid = "SEU-" + pl.Series(e[idx]).cast(pl.String) + "-" + pl.Series(seq).cast(pl.String).str.zfill(6)
    addr = H["bld"][hh[idx]]
    df = pl.DataFrame(
        {
            "SEU_ID": sid,
            "Familienname": fam,
            "Vornamen": given,
            "Geburtsdatum": v.render_birth(rng, P["birth"][idx], np.zeros(m, bool), np.zeros(m, bool), "seu"),
            "Geschlecht": pl.Series(P["sex"][idx], dtype=pl.String),
            **_addr_cols(rng, w, addr),
            "Einschulungsjahr": pl.Series(e[idx]).cast(pl.String),
            "Einladungsdatum": v.fmt_dates(inv[idx]),
            "Status": pl.Series(status[idx].astype(object), dtype=pl.String),
            "t_pid": pl.Series(pid[idx], dtype=pl.String),
            "t_p": idx,
            "t_addr": addr,
            "t_year": e[idx],
        }
    ).sort("SEU_ID")
    return df.with_columns(t_key=pl.col("SEU_ID"))


__all__ = ["COLUMNS", "KG_OUTSIDE", "SCHOOL_ABSENT", "SOURCES", "Records", "build_records"]
