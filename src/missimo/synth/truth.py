"""Ground-truth tables: record -> person, planted scenarios, expected hints."""

from __future__ import annotations

import numpy as np
import polars as pl

from .dates import schulpflichtig
from .records import Records, person_ids
from .world import MISUSE_RULES, TRAP_RULES, TRAPS_THAT_FIRE, World

BUILDING_SCENARIOS = frozenset({"UEBERBELEGUNG", "MELDE_FLUKTUATION"})
EMPLOYER_SCENARIOS = frozenset({"SCHEINARBEITGEBER", "ARBEITGEBER_UNTER_SCHWELLE"})


def record_truth(rec: Records) -> pl.DataFrame:
    """source;key;row;role;person_id;objekt_id - one row per record (two for kindergeld)."""
    parts = []
    for source, df in rec.frames.items():
        d = df.with_columns(row=pl.int_range(2, pl.len() + 2))
        if source == "kindergeld":
            for role, col in (("berechtigter", "t_pid_b"), ("kind", "t_pid_k")):
                parts.append(
                    d.select(
                        source=pl.lit(source),
                        key=pl.col("t_key"),
                        row=pl.col("row"),
                        role=pl.lit(role),
                        person_id=pl.col(col),
                        objekt_id=pl.col("t_objekt").fill_null(""),
                    )
                )
        else:
            parts.append(
                d.select(
                    source=pl.lit(source),
                    key=pl.col("t_key"),
                    row=pl.col("row"),
                    role=pl.lit("objekt" if source == "objekte" else "person"),
                    person_id=pl.col("t_pid") if "t_pid" in d.columns else pl.lit(""),
                    objekt_id=pl.col("t_objekt").fill_null(""),
                )
            )
    return pl.concat(parts).with_columns(pl.col("row").cast(pl.Int64))


def scenarios(w: World, rec: Records, rt: pl.DataFrame) -> pl.DataFrame:
    P, H = w.persons, w.hh
    n = len(P)
    pid = person_ids(n)
    scen_p = P["scen_name"]
    per = pl.DataFrame(
        {
            "person_id": pl.Series(pid, dtype=pl.String),
            "hh": P["hh"],
            "scenario": pl.Series(np.where(scen_p != "", scen_p, H["scen_name"][P["hh"]]), dtype=pl.String),
            "bld": H["bld"][P["hh"]],
            "employer": H["jc_employer"][P["hh"]],
        }
    ).filter(pl.col("scenario") != "")
    refs = rt.filter(pl.col("source") != "objekte").select(
        "person_id", ref=pl.col("source") + ":" + pl.col("key")
    )
    obj_ids = rec.frames["objekte"]["Objekt_ID"]
    per = per.with_columns(
        group=pl.when(pl.col("scenario").is_in(list(BUILDING_SCENARIOS)))
        .then(pl.lit("B") + pl.col("bld").cast(pl.String))
        .when(pl.col("scenario").is_in(list(EMPLOYER_SCENARIOS)))
        .then(pl.lit("E") + pl.col("employer").cast(pl.String))
        .otherwise(pl.lit("H") + pl.col("hh").cast(pl.String)),
        objekt_id=obj_ids.gather(pl.Series(H["bld"][per["hh"].to_numpy()])),
    )
    joined = per.join(refs, on="person_id", how="left")
    grouped = (
        joined.group_by(["scenario", "group"])
        .agg(
            person_ids=pl.col("person_id").unique().sort().str.join("|"),
            objekt_id=pl.col("objekt_id").min(),
            records=pl.col("ref").drop_nulls().unique().sort().str.join("|"),
        )
        .with_columns(
            records=pl.when(pl.col("scenario").is_in(list(BUILDING_SCENARIOS)))
            .then(pl.lit("objekte:") + pl.col("objekt_id"))
            .otherwise(pl.col("records"))
        )
    )
    grouped = grouped.sort(["scenario", "group"])
    kind = dict.fromkeys(MISUSE_RULES, "misuse") | dict.fromkeys(TRAP_RULES, "trap")
    rules = {k: "|".join(v) for k, v in {**MISUSE_RULES, **TRAP_RULES}.items()}
    grouped = grouped.with_columns(
        kind=pl.col("scenario").replace_strict(kind, default="trap"),
        rules=pl.col("scenario").replace_strict(rules, default=""),
        hint_expected=pl.when(
            pl.col("scenario").is_in(list(MISUSE_RULES)) | pl.col("scenario").is_in(list(TRAPS_THAT_FIRE))
        )
        .then(pl.lit("ja"))
        .otherwise(pl.lit("nein")),
    )
    # natural traps, read off the records: preschool children and 18-25 year olds paid
    s = w.s
    kg = rec.frames["kindergeld"]
    paid = kg.filter((pl.col("t_ab") <= s) & (pl.col("t_bis") >= s))
    natural = pl.Series(H["scen_name"][P["hh"][paid["t_p_k"].to_numpy()]] == "")
    born = paid["t_birth"].to_numpy()
    sp = schulpflichtig(born, s)
    age = (s - born) / 365.25
    extra = []
    for name, mask in (("VORSCHULKIND", ~sp & (age < 7.5)), ("AUSBILDUNG", ~sp & (age >= 17))):
        sel = paid.filter(pl.Series(mask) & natural)
        extra.append(
            sel.select(
                scenario=pl.lit(name),
                group=pl.lit("K") + pl.col("t_key"),
                person_ids=pl.col("t_pid_k"),
                objekt_id=pl.col("t_objekt").fill_null(""),
                records=pl.lit("kindergeld:") + pl.col("t_key"),
                kind=pl.lit("trap"),
                rules=pl.lit("|".join(TRAP_RULES[name])),
                hint_expected=pl.lit("nein"),
            )
        )
    seu = rec.frames["seu"]
    enrolled = rec.frames["schule"].filter((pl.col("t_aufn") <= s) & (pl.col("t_entl") > s))
    seu_nat = seu.filter(
        (pl.col("Status") == "nicht erschienen")
        & pl.Series(H["scen_name"][P["hh"][seu["t_p"].to_numpy()]] == "")
        & (pl.col("t_pid").is_in(enrolled["t_pid"].implode()) | (pl.col("t_year") > w.stichtag.year))
    )
    extra.append(
        seu_nat.select(
            scenario=pl.lit("SEU_SPAETER_EINGESCHULT"),
            group=pl.lit("S") + pl.col("t_key"),
            person_ids=pl.col("t_pid"),
            objekt_id=pl.col("t_objekt").fill_null(""),
            records=pl.lit("seu:") + pl.col("t_key"),
            kind=pl.lit("trap"),
            rules=pl.lit("SEU_NICHT_ERSCHIENEN"),
            hint_expected=pl.lit("nein"),
        )
    )
    cols = ["scenario", "kind", "hint_expected", "rules", "person_ids", "objekt_id", "records"]
    allsc = pl.concat([grouped.select(cols), *[e.select(cols) for e in extra]])
    return allsc.with_columns(pl.col("objekt_id").fill_null(""), pl.col("records").fill_null(""))


def attach_scenarios(hints: pl.DataFrame, sc: pl.DataFrame) -> pl.DataFrame:
    """Name the scenarios that explain each expected hint (empty: background data)."""
    exploded = sc.select("scenario", ref=pl.col("records").str.split("|")).explode("ref")
    by_ref = exploded.group_by("ref").agg(pl.col("scenario").unique().sort().str.join("|").alias("Szenarien"))
    h = hints.join(by_ref, left_on="Primaerbeleg", right_on="ref", how="left", maintain_order="left")
    return h.with_columns(pl.col("Szenarien").fill_null(""))
