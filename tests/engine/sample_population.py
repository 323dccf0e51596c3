"""A small synthetic population with known truth, for the linkage tests (kept beside them, not in the
engine: the engine has no population generator of its own; the synthetic city is `missimo.synth`).

Families of German, Romanian, Bulgarian and Turkish names live at addresses; every person
has Melderegister rows, parents may draw Kindergeld and Bürgergeld, children appear in
Kindergeld, school and SEU records. Each agency spells names its own way: Cyrillic names in
Streamlined, German (Duden) or French transliteration, diacritics kept or dropped,
first names reordered, typos, swapped day/month, ``00`` date parts in the Melderegister,
street spellings and Zusatz variants, old addresses. Twins and namesakes are included.

``name_group`` in the truth is the origin of the name list, used ONLY to report recall per
group in the benchmark; it is not part of any snapshot table.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

__all__ = ["SamplePopulation", "make_population"]

GERMAN = (
    [
        "Lukas",
        "Jonas",
        "Leon",
        "Felix",
        "Paul",
        "Maximilian",
        "Thomas",
        "Stefan",
        "Michael",
        "Jürgen",
        "Klaus",
    ],
    ["Anna", "Lena", "Marie", "Sophie", "Laura", "Jana", "Sabine", "Ursula", "Katrin", "Jessica", "Jülide"],
    [
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Schulz",
        "Hoffmann",
        "Schäfer",
        "Koch",
        "Bauer",
        "Richter",
        "Klein",
        "Wolf",
        "Schröder",
        "Neumann",
        "Schwarz",
        "Zimmermann",
        "Weiß",
        "Krüger",
        "Hartmann",
        "Lange",
        "Günther",
        "Köhler",
        "Jäger",
        "Groß",
        "Vogel",
        "Kühn",
    ],
)
ROMANIAN = (
    ["Ionuț", "Andrei", "Mihai", "Ștefan", "Alexandru", "Florin", "Cătălin", "Răzvan", "Bogdan", "Gheorghe"],
    [
        "Ioana",
        "Elena",
        "Maria",
        "Andreea",
        "Mădălina",
        "Alexandra",
        "Cristina",
        "Ștefania",
        "Gabriela",
        "Roxana",
    ],
    [
        "Popescu",
        "Ionescu",
        "Popa",
        "Constantin",
        "Stan",
        "Dumitru",
        "Stoica",
        "Gheorghiu",
        "Munteanu",
        "Lungu",
        "Țurcanu",
        "Șerban",
        "Mureșan",
        "Căpraru",
        "Bălan",
        "Rădulescu",
        "Vasilescu",
        "Nistor",
        "Tănase",
        "Ilie",
    ],
)
BULGARIAN = (
    ["Георги", "Иван", "Димитър", "Николай", "Живко", "Христо", "Цветан", "Йордан", "Чавдар", "Стефан"],
    [
        "Мария",
        "Елена",
        "Иванка",
        "Йорданка",
        "Цветелина",
        "Десислава",
        "Радка",
        "Живка",
        "Надежда",
        "Гергана",
    ],
    [
        "Иванов",
        "Петров",
        "Георгиев",
        "Димитров",
        "Николов",
        "Христов",
        "Стоянов",
        "Тодоров",
        "Йорданов",
        "Жеков",
        "Шишков",
        "Чолаков",
        "Цветков",
        "Ангелов",
        "Костадинов",
        "Личев",
        "Маринов",
        "Пеев",
    ],
)
TURKISH = (
    ["Mehmet", "Mustafa", "Ahmet", "Ali", "Hüseyin", "Hasan", "İbrahim", "Yusuf", "Emre", "Murat"],
    ["Ayşe", "Fatma", "Emine", "Hatice", "Zeynep", "Elif", "Özlem", "Gül", "Büşra", "Şükran"],
    [
        "Yılmaz",
        "Kaya",
        "Demir",
        "Şahin",
        "Çelik",
        "Yıldız",
        "Yıldırım",
        "Öztürk",
        "Aydın",
        "Özdemir",
        "Arslan",
        "Doğan",
        "Kılıç",
        "Aslan",
        "Çetin",
        "Kara",
        "Koç",
        "Kurt",
        "Özkan",
        "Şimşek",
    ],
)
GROUPS = {"DE": GERMAN, "RO": ROMANIAN, "BG": BULGARIAN, "TR": TURKISH}

STREETS = [
    "Bahnhofstraße",
    "Hauptstraße",
    "Schulstraße",
    "Gartenstraße",
    "Dorstener Straße",
    "Am Markt",
    "Bochumer Straße",
    "Mont-Cenis-Straße",
    "Holsterhauser Straße",
    "Wiescherstraße",
    "Overwegstraße",
    "Sankt-Anna-Platz",
    "Kirchweg",
    "Ringstraße",
    "Lindenallee",
]

# Cyrillic in Streamlined, German (Duden) and French transliteration.
_STREAMLINED = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sht",
    "ъ": "a",
    "ь": "y",
    "ю": "yu",
    "я": "ya",
}
_GERMAN = {
    **_STREAMLINED,
    "в": "w",
    "ж": "sch",
    "з": "s",
    "й": "j",
    "х": "ch",
    "ц": "z",
    "ч": "tsch",
    "ш": "sch",
    "щ": "schtsch",
    "ю": "ju",
    "я": "ja",
    "ь": "j",
}
_FRENCH = {
    **_STREAMLINED,
    "у": "ou",
    "й": "i",
    "х": "kh",
    "ч": "tch",
    "ш": "ch",
    "щ": "cht",
    "ю": "iou",
    "я": "ia",
    "ж": "j",
}


def transliterate(text: str, scheme: dict[str, str]) -> str:
    out = []
    for i, ch in enumerate(text):
        low = ch.lower()
        rep = scheme.get(low, ch)
        if scheme is _FRENCH and low == "г" and i + 1 < len(text) and text[i + 1].lower() in "еи":
            rep = "gu"
        out.append(rep.capitalize() if ch.isupper() else rep)
    return "".join(out)


_STRIP = str.maketrans("ăâîșțşţäöüßıİğçşŞȘȚÄÖÜĞÇÖ", "aaisttsaousiIgcsSSTAOUGCO")


@dataclass
class Person:
    pid: str
    group: str
    first: list[str]
    last: str
    birth_name: str | None
    dob: dt.date
    sex: str
    addr: tuple[str, int, str | None]
    old_addr: tuple[str, int, str | None] | None = None


@dataclass
class SamplePopulation:
    """Snapshot-like tables (contract column names) plus the truth."""

    tables: dict[str, pa.Table]
    truth: pa.Table  # source, key (entity:record_key unique id), person_id, name_group
    persons: list[Person] = field(repr=False, default_factory=list)

    def load(self, con: duckdb.DuckDBPyConnection, prefix: str = "snap_") -> dict[str, str]:
        """Create the tables in ``con``; returns the ``snapshots`` mapping for ``link_persons``."""
        out = {}
        for name, tab in self.tables.items():
            con.register(f"_{name}_arrow", tab)
            con.execute(f"CREATE OR REPLACE TABLE {prefix}{name} AS SELECT * FROM _{name}_arrow")  # noqa: S608
            con.unregister(f"_{name}_arrow")
            out[name] = f"{prefix}{name}"
        con.register("_truth_arrow", self.truth)
        con.execute("CREATE OR REPLACE TABLE truth AS SELECT * FROM _truth_arrow")
        con.unregister("_truth_arrow")
        return out


def make_population(
    n_households: int = 300, seed: int = 7, stichtag: dt.date | None = None
) -> SamplePopulation:
    rng = random.Random(seed)
    today = stichtag or dt.date(2026, 6, 1)
    persons: list[Person] = []
    households: list[tuple[list[Person], list[Person]]] = []
    n = 0

    def addr() -> tuple[str, int, str | None]:
        return (rng.choice(STREETS), rng.randint(1, 80), rng.choice([None] * 6 + ["a", "b"]))

    def new_person(group: str, sex: str, last: str, dob: dt.date, a: tuple[str, int, str | None]) -> Person:
        nonlocal n
        n += 1
        firsts = GROUPS[group][0 if sex == "m" else 1]
        first = [rng.choice(firsts)]
        if rng.random() < 0.3:
            first.append(rng.choice([f for f in firsts if f != first[0]]))
        p = Person(f"P{n:06d}", group, first, last, None, dob, sex, a)
        persons.append(p)
        return p

    for _ in range(n_households):
        group = rng.choices(list(GROUPS), weights=[4, 2, 2, 2])[0]
        last = rng.choice(GROUPS[group][2])
        a = addr()
        adults = []
        for sex in ["m", "w"] if rng.random() < 0.7 else [rng.choice("mw")]:
            dob = today - dt.timedelta(days=rng.randint(20 * 365, 60 * 365))
            p = new_person(group, sex, _female(last, group) if sex == "w" else last, dob, a)
            if sex == "w" and rng.random() < 0.3:
                p.birth_name = rng.choice(GROUPS[group][2])
            if rng.random() < 0.3:
                p.old_addr = addr()
            adults.append(p)
        children: list[Person] = []
        for _k in range(rng.choice([0, 0, 1, 2, 2, 3])):
            dob = today - dt.timedelta(days=rng.randint(1 * 365, 17 * 365))
            twins = rng.random() < 0.05
            for _t in range(2 if twins else 1):
                sex = rng.choice("mw")
                c = new_person(group, sex, _female(last, group) if sex == "w" else last, dob, a)
                if twins and children and children[-1].dob == dob and c.first == children[-1].first:
                    c.first = [f for f in GROUPS[group][0 if sex == "m" else 1] if f != c.first[0]][:1]
                children.append(c)
        households.append((adults, children))

    rows: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("melderegister", "kindergeld", "schule", "jobcenter", "seu")
    }
    truth: list[dict[str, str]] = []

    def spell(name: str, group: str, agency_style: int) -> str:
        if group == "BG":
            scheme = [_STREAMLINED, _STREAMLINED, _GERMAN, _FRENCH][agency_style % 4]
            if rng.random() < 0.15:
                scheme = rng.choice([_STREAMLINED, _GERMAN, _FRENCH])
            name = transliterate(name, scheme)
        elif rng.random() < 0.3:
            name = name.translate(_STRIP)
            if group == "DE" and rng.random() < 0.5:
                name = name.replace("ue", "ü")
        if rng.random() < 0.03 and len(name) > 4:
            i = rng.randrange(1, len(name) - 1)
            name = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        if rng.random() < 0.05:
            name = name.upper()
        return name

    def melde(name: str, group: str) -> str:
        if group == "BG" and rng.random() < 0.7:
            return transliterate(name, _STREAMLINED)
        return name

    def firsts(p: Person, style: int) -> str:
        names = [spell(f, p.group, style) for f in p.first]
        if len(names) > 1 and rng.random() < 0.2:
            names.reverse()
        if len(names) > 1 and rng.random() < 0.2:
            names = names[:1]
        return " ".join(names)

    def dob_str(p: Person, melde: bool = False) -> str:
        d = p.dob
        if melde and rng.random() < 0.02:
            return f"{d.year:04d}-00-00" if rng.random() < 0.5 else f"{d.year:04d}-{d.month:02d}-00"
        if not melde and rng.random() < 0.02 and d.day <= 12:
            return f"{d.year:04d}-{d.day:02d}-{d.month:02d}"
        if not melde and rng.random() < 0.01:
            return f"{d.year:04d}-{d.month:02d}-{min(28, d.day + 1):02d}"
        return d.isoformat()

    def address(a: tuple[str, int, str | None]) -> dict[str, Any]:
        street, hnr, zusatz = a
        sv = rng.random()
        if sv < 0.2:
            street = street.replace("straße", "str.").replace("Straße", "Str.")
        elif sv < 0.3:
            street = street.upper().replace("ß", "SS")
        elif sv < 0.35:
            street = street.replace("straße", "-Straße") if "straße" in street else street
        h, z = str(hnr), zusatz
        if zusatz and rng.random() < 0.5:
            h, z = f"{hnr}{zusatz}" if rng.random() < 0.5 else f"{hnr} {zusatz}", None
        return {"Strasse": street, "Hausnummer": h, "Hausnummerzusatz": z, "PLZ": "44623", "Ort": "Herne"}

    def pick_addr(p: Person) -> tuple[str, int, str | None]:
        return p.old_addr if p.old_addr and rng.random() < 0.15 else p.addr

    kg_nr = bg_nr = seu_nr = sch_nr = 0
    for adults, children in households:
        for p in [*adults, *children]:
            if p in children and rng.random() < 0.03:
                pass  # child not registered ("Kinder, die es nicht gibt")
            else:
                key = f"OM{int(p.pid[1:]):08d}"
                base = {
                    "Ordnungsmerkmal": key,
                    "Familienname": melde(p.last, p.group),
                    "Vornamen": " ".join(melde(f, p.group) for f in p.first),
                    "Geburtsname": melde(p.birth_name, p.group) if p.birth_name else None,
                    "Geburtsdatum": dob_str(p, melde=True),
                    "Geschlecht": p.sex,
                    "Staatsangehoerigkeit": {"DE": "DE", "RO": "RO", "BG": "BG", "TR": "TR"}[p.group],
                    "Wohnungsstatus": "H",
                }
                if p.old_addr:
                    rows["melderegister"].append(
                        {
                            **base,
                            **address(p.old_addr),
                            "Einzugsdatum": dt.date(2015, 1, 1),
                            "Auszugsdatum": dt.date(2020, 1, 1),
                            "Abmeldegrund": "Umzug",
                        }
                    )
                rows["melderegister"].append(
                    {
                        **base,
                        **address(p.addr),
                        "Einzugsdatum": dt.date(2020, 1, 1),
                        "Auszugsdatum": None,
                        "Abmeldegrund": None,
                    }
                )
                truth.append({"key": f"melderegister:{key}", "person_id": p.pid, "name_group": p.group})
        if children and rng.random() < 0.9:
            kg_nr += 1
            parent = adults[-1]
            nr = f"214FK{kg_nr:06d}"
            p_first, p_last, p_dob = firsts(parent, 1), spell(parent.last, parent.group, 1), dob_str(parent)
            pa_ = address(pick_addr(parent))
            truth.append(
                {"key": f"kindergeld_berechtigter:{nr}", "person_id": parent.pid, "name_group": parent.group}
            )
            for i, c in enumerate(children, 1):
                rows["kindergeld"].append(
                    {
                        "Kindergeldnummer": nr,
                        "Kind_Nr": i,
                        "Berechtigter_Familienname": p_last,
                        "Berechtigter_Vornamen": p_first,
                        "Berechtigter_Geburtsdatum": p_dob,
                        **pa_,
                        "Kind_Familienname": spell(c.last, c.group, 1),
                        "Kind_Vornamen": firsts(c, 1),
                        "Kind_Geburtsdatum": dob_str(c),
                        "Kind_Wohnsitz": "Inland",
                    }
                )
                truth.append({"key": f"kindergeld_kind:{nr}/{i}", "person_id": c.pid, "name_group": c.group})
        for p in adults:
            if rng.random() < 0.25:
                bg_nr += 1
                k = f"12345BG{bg_nr:07d}/1"
                rows["jobcenter"].append(
                    {
                        "BG_Nummer": k.split("/")[0],
                        "Person_Nr": 1,
                        "Familienname": spell(p.last, p.group, 2),
                        "Vornamen": firsts(p, 2),
                        "Geburtsdatum": dob_str(p),
                        **address(pick_addr(p)),
                    }
                )
                truth.append({"key": f"jobcenter:{k}", "person_id": p.pid, "name_group": p.group})
        for c in children:
            age = (today - c.dob).days / 365.25
            if 6 <= age < 17 and rng.random() < 0.95:
                sch_nr += 1
                k = f"1{sch_nr % 7:05d}/S{sch_nr:06d}"
                rows["schule"].append(
                    {
                        "Schulnummer": k.split("/")[0],
                        "Schueler_ID": k.split("/")[1],
                        "Nachname": spell(c.last, c.group, 3),
                        "Vorname": firsts(c, 3),
                        "Geburtsdatum": dob_str(c),
                        "Geschlecht": c.sex,
                        **address(pick_addr(c)),
                    }
                )
                truth.append({"key": f"schule:{k}", "person_id": c.pid, "name_group": c.group})
            if 4.5 <= age < 7:
                seu_nr += 1
                k = f"SEU{seu_nr:06d}"
                rows["seu"].append(
                    {
                        "SEU_ID": k,
                        "Familienname": spell(c.last, c.group, 0),
                        "Vornamen": firsts(c, 0),
                        "Geburtsdatum": dob_str(c),
                        "Geschlecht": c.sex,
                        **address(c.addr),
                    }
                )
                truth.append({"key": f"seu:{k}", "person_id": c.pid, "name_group": c.group})

    tables = {}
    for name, rs in rows.items():
        for i, r in enumerate(rs, 2):
            r["_row"] = i
        tables[name] = pa.Table.from_pylist(rs) if rs else pa.table({"_row": pa.array([], pa.int64())})
    return SamplePopulation(tables=tables, truth=pa.Table.from_pylist(truth), persons=persons)


def _female(last: str, group: str) -> str:
    if group == "BG" and last.endswith("в"):
        return last + "а"
    return last
