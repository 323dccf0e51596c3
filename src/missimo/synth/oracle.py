"""Expected hints: rules.md applied to the truth model (perfect person and address linkage).

This is an independent oracle: it never reads the exported text, only the generator's own
truth columns (true person ids, true buildings, dates as day numbers), and implements
every rule of rules.md directly with the default thresholds.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from missimo.engine.calendar_nrw import school_day_counter

from .dates import NA, schulpflichtig, ymd
from .records import Records


@dataclasses.dataclass(frozen=True)
class Thresholds:
    absent_school_days: int = 20
    m2_per_person: float = 10.0
    fluktuation_min: int = 10
    fluktuation_per_flat: int = 3
    minijob_limit_cents: int = 60300
    employer_min_persons: int = 5


HINT_COLUMNS = ["Regel", "Primaerbeleg", "Objekt_ID", "Person_ID", "Betrag_monatlich", "Belege"]


def _hints(df: pl.DataFrame, rule: str, source: str, person: str | None, amount: str | None) -> pl.DataFrame:
    return df.select(
        Regel=pl.lit(rule),
        Primaerbeleg=pl.lit(source + ":") + pl.col("t_key"),
        Objekt_ID=pl.col("t_objekt").fill_null(""),
        Person_ID=pl.col(person) if person else pl.lit(""),
        Betrag_monatlich=(pl.col(amount).cast(pl.String) + ",00" if amount else pl.lit("")),
        Belege=pl.col("_evidence") if "_evidence" in df.columns else pl.lit(""),
    )


def expected_hints(rec: Records, s: int, th: Thresholds | None = None) -> pl.DataFrame:
    th = th or Thresholds()
    f = rec.frames
    mreg, kg, sch, jc, seu, obj = (
        f[k] for k in ("melderegister", "kindergeld", "schule", "jobcenter", "seu", "objekte")
    )
    out: list[pl.DataFrame] = []

    # --- person states from the Melderegister -----------------------------------------
    registered_at_s = set(mreg.filter((pl.col("t_in") <= s) & (pl.col("t_out") > s))["t_pid"].to_list())
    latest = mreg.sort("t_in").group_by("t_pid", maintain_order=True).last()
    left_country = (
        set(
            latest.filter(
                (pl.col("t_out") < s) & pl.col("t_reason").is_in(["Wegzug Ausland", "von Amts wegen"])
            )["t_pid"].to_list()
        )
        - registered_at_s
    )
    in_melderegister = set(mreg["t_pid"].to_list())
    enrolled = sch.filter((pl.col("t_aufn") <= s) & (pl.col("t_entl") > s))
    enrolled_pids = set(enrolled["t_pid"].to_list())

    # --- kindergeld -------------------------------------------------------------------
    paid = kg.filter((pl.col("t_ab") <= s) & (pl.col("t_bis") >= s))
    sp = schulpflichtig(paid["t_birth"].to_numpy(), s)
    paid = paid.with_columns(
        _sp=pl.Series(sp),
        _enrolled=pl.col("t_pid_k").is_in(list(enrolled_pids)),
        _left=pl.col("t_pid_k").is_in(list(left_country)) | pl.col("t_pid_b").is_in(list(left_country)),
        _gemeldet=pl.col("t_pid_k").is_in(list(in_melderegister)),
    )
    r = paid.filter(pl.col("t_inland") & pl.col("t_in_city") & pl.col("_sp") & ~pl.col("_enrolled"))
    out.append(_hints(r, "KG_OHNE_SCHULE", "kindergeld", "t_pid_k", "t_amount"))
    r = paid.filter(pl.col("_left"))
    out.append(_hints(r, "KG_NACH_ABMELDUNG", "kindergeld", "t_pid_k", "t_amount"))
    r = paid.filter(pl.col("t_inland") & pl.col("t_in_city") & ~pl.col("_gemeldet"))
    out.append(_hints(r, "KG_KIND_NICHT_GEMELDET", "kindergeld", "t_pid_k", "t_amount"))
    multi = paid.group_by("t_pid_k").agg(pl.col("Kindergeldnummer").n_unique().alias("_n"))
    dup = paid.join(multi.filter(pl.col("_n") >= 2), on="t_pid_k", how="semi")
    keys = dup.group_by("t_pid_k").agg(pl.col("t_key").sort().alias("_all"))
    dup = dup.join(keys, on="t_pid_k", how="left").with_columns(
        _evidence=pl.concat_list(
            pl.lit("kindergeld:") + pl.col("t_key"),
            pl.col("_all")
            .list.set_difference(pl.concat_list(pl.col("t_key")))
            .list.eval(pl.lit("kindergeld:") + pl.element()),
        ).list.join("|")
    )
    out.append(_hints(dup, "KG_DOPPELBEZUG", "kindergeld", "t_pid_k", "t_amount"))

    # --- schule -----------------------------------------------------------------------
    first, cum = school_day_counter()
    e = enrolled.with_columns(
        _from=pl.when(pl.col("t_la") < NA).then(pl.col("t_la") + 1).otherwise(pl.col("t_aufn"))
    )
    a = e["_from"].to_numpy()
    b = e["t_stand"].to_numpy()
    days = np.where(a <= b, cum[b - first + 1] - cum[np.minimum(a, b) - first], 0)
    r = e.filter(pl.Series(days >= th.absent_school_days))
    out.append(_hints(r, "SCHULABSENTISMUS", "schule", "t_pid", None))
    r = enrolled.filter(pl.col("t_in_city") & ~pl.col("t_pid").is_in(list(registered_at_s)))
    out.append(_hints(r, "SCHULE_OHNE_MELDUNG", "schule", "t_pid", None))

    # --- seu --------------------------------------------------------------------------
    paid_kids = set(paid["t_pid_k"].to_list())
    due = ymd(seu["t_year"].to_numpy(), 8, 1) <= s
    r = seu.filter(
        (pl.col("Status") == "nicht erschienen")
        & pl.Series(due)
        & ~pl.col("t_pid").is_in(list(enrolled_pids))
        & pl.col("t_pid").is_in(list(paid_kids))
    )
    out.append(_hints(r, "SEU_NICHT_ERSCHIENEN", "seu", "t_pid", None))

    # --- objekte ----------------------------------------------------------------------
    reg_h = mreg.filter((pl.col("t_in") <= s) & (pl.col("t_out") > s) & (pl.col("t_status") == "H"))
    per_obj = (
        reg_h.filter(pl.col("t_objekt").is_not_null())
        .group_by("t_objekt")
        .agg(pl.col("t_pid").n_unique().alias("_persons"))
    )
    o = obj.join(per_obj, left_on="Objekt_ID", right_on="t_objekt", how="left").with_columns(
        pl.col("_persons").fill_null(0)
    )
    r = o.filter(pl.col("t_area").is_not_nan() & (pl.col("_persons") * th.m2_per_person > pl.col("t_area")))
    out.append(_hints(r, "UEBERBELEGUNG", "objekte", None, None))
    lo = s - 365
    ins = mreg.filter((pl.col("t_in") > lo) & (pl.col("t_in") <= s)).group_by("t_objekt").len("_in")
    outs = mreg.filter((pl.col("t_out") > lo) & (pl.col("t_out") <= s)).group_by("t_objekt").len("_out")
    o = (
        obj.join(ins, left_on="Objekt_ID", right_on="t_objekt", how="left")
        .join(outs, left_on="Objekt_ID", right_on="t_objekt", how="left")
        .with_columns(_ev=pl.col("_in").fill_null(0) + pl.col("_out").fill_null(0))
    )
    r = o.filter(
        (pl.col("_ev") >= th.fluktuation_min) & (pl.col("_ev") >= th.fluktuation_per_flat * pl.col("t_flats"))
    )
    out.append(_hints(r, "MELDE_FLUKTUATION", "objekte", None, None))

    # --- jobcenter --------------------------------------------------------------------
    ben = jc.filter((pl.col("t_ab") <= s) & (pl.col("t_bis") >= s))
    r = ben.filter(pl.col("t_pid").is_in(list(left_country)))
    out.append(_hints(r, "SGB2_NACH_ABMELDUNG", "jobcenter", "t_pid", None))
    mini = ben.filter((pl.col("t_income") > 0) & (pl.col("t_income") <= th.minijob_limit_cents))
    groups = mini.group_by("t_employer").agg(pl.col("t_key").sort().alias("_all"), pl.len().alias("_n"))
    many = mini.join(groups.filter(pl.col("_n") >= th.employer_min_persons), on="t_employer", how="inner")
    many = many.with_columns(
        _evidence=pl.concat_list(
            pl.lit("jobcenter:") + pl.col("t_key"),
            pl.col("_all")
            .list.set_difference(pl.concat_list(pl.col("t_key")))
            .list.eval(pl.lit("jobcenter:") + pl.element()),
        ).list.join("|")
    )
    out.append(_hints(many, "ARBEITGEBER_HAEUFUNG", "jobcenter", "t_pid", None))

    # --- addresses that do not exist ----------------------------------------------------
    r = paid.filter(pl.col("t_in_city") & pl.col("t_objekt").is_null())
    out.append(_hints(r, "ADRESSE_UNBEKANNT", "kindergeld", "t_pid_b", "t_amount"))
    r = ben.filter(pl.col("t_in_city") & pl.col("t_objekt").is_null())
    out.append(_hints(r, "ADRESSE_UNBEKANNT", "jobcenter", "t_pid", None))

    hints = pl.concat(out, how="vertical")
    hints = hints.with_columns(
        Belege=pl.when(pl.col("Belege") == "").then(pl.col("Primaerbeleg")).otherwise(pl.col("Belege"))
    )
    return hints.sort(["Regel", "Primaerbeleg"])
