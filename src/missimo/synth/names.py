"""Synthetic name lists per origin group and the spelling variants registers produce.

The lists hold common given names and surnames (frequent in many families, no real
identifiable person). Bulgarian names are kept in Cyrillic and transliterated by three
schemes (the official Bulgarian "streamlined" system used in passports, the German
Duden scheme, and the French scheme) so that registers can disagree as they do in life.
"""

from __future__ import annotations


def _w(text: str) -> list[str]:
    return text.split()


ORIGINS = ("DE", "TR", "RO", "BG", "PL", "SY", "XX")
# Population mix like Herne/Duisburg (share of households by origin group).
ORIGIN_SHARES = (0.71, 0.075, 0.045, 0.04, 0.03, 0.035, 0.065)

DE_MALE = _w(
    "Peter Michael Thomas Andreas Wolfgang Klaus Jürgen Stefan Frank Uwe Dieter Bernd Ralf Markus "
    "Jan Lukas Leon Finn Paul Jonas Ben Elias Noah Felix Maximilian Luca Tim Niklas Tobias Sebastian "
    "Christian Daniel Dennis Marco Sven Björn Jörg Günter Horst Heinz Manfred Matthias Kai Jens Moritz "
    "Henrik Emil Theo Anton Karl Mats Ole Till Julian Florian Philipp Patrick Marcel Kevin"
)
DE_FEMALE = _w(
    "Ursula Sabine Petra Monika Andrea Claudia Susanne Birgit Gabriele Karin Heike Martina Nicole "
    "Stefanie Julia Anna Lena Laura Lea Sophie Marie Emma Mia Hannah Lina Emilia Clara Greta Jana "
    "Katharina Christina Sandra Melanie Daniela Jessica Jennifer Sarah Lisa Michelle Jasmin Ines "
    "Jutta Bärbel Gisela Helga Renate Ingrid Maja Ida Frieda Charlotte Luisa Paula Jule Merle Franziska"
)
DE_SURNAMES = _w(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer "
    "Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange "
    "Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter "
    "Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel Friedrich "
    "Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon "
    "Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto Sommer Groß Seidel "
    "Heinrich Brandt Haas Schreiber Graf Schulte Dietrich Ziegler Kuhn Kühn Pohl Engel Horn Busch "
    "Bergmann Thomas Voigt Sauer Arnold Wolff Pfeiffer Kowalski Nowak Kaminski Wiesner Brinkmann "
    "Hülsmann Kötter Wessel Terhorst Overbeck Kemper Hövelmann Stratmann Niehaus Tillmann Bruckmann "
    "Esser Sträter Küpper Dreßler Strauß Nußbaum Grünewald Böckmann Große Wüstefeld Öztürk"
)
_DE_PREFIX = _w("Kamp Brink Heide Holt Kemp Berg Tem Linde Wester Oster Nieder Ober Kreuz Hage Busch Feld")
_DE_SUFFIX = _w("mann kötter hoff haus kamp mann kemper brock beck wede meier sieck")
DE_SURNAMES_EXTRA = tuple(sorted({p + s for p in _DE_PREFIX for s in _DE_SUFFIX}))

TR_MALE = _w(
    "Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim İsmail Osman Yusuf Murat Ömer Ramazan Halil "
    "Süleyman Abdullah Mahmut Recep Emre Burak Kerem Yiğit Çağrı Barış Oğuz Tolga Serkan Deniz"
)
TR_FEMALE = _w(
    "Fatma Ayşe Emine Hatice Zeynep Elif Meryem Şerife Sultan Hülya Özlem Gül Derya Esra Büşra "
    "Merve Gülşen Yıldız Aylin Ebru Tuğba Çiğdem Nur Dilek Songül Sibel Aslı İrem"
)
TR_SURNAMES = _w(
    "Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan Kılıç Aslan "
    "Çetin Kara Koç Kurt Özkan Şimşek Polat Korkmaz Güneş Akgül Erdoğan Bulut Karataş Çakır Tekin "
    "Uçar Güler Aktaş Başaran Ağca"
)

RO_MALE = _w(
    "Ion Gheorghe Vasile Constantin Mihai Andrei Alexandru Florin Marian Ionuț Adrian Cătălin Bogdan "
    "Ștefan Nicolae Dumitru Costel Daniel Răzvan Cristian Lucian Viorel Sorin Tudor"
)
RO_FEMALE = _w(
    "Maria Elena Ioana Ana Mihaela Andreea Cristina Daniela Gabriela Alexandra Florentina Nicoleta "
    "Ionela Georgiana Roxana Ramona Simona Alina Larisa Bianca Cătălina Ștefania Oana Teodora"
)
RO_SURNAMES = _w(
    "Popescu Ionescu Popa Radu Dumitru Stoica Stan Munteanu Constantin Gheorghe Rusu Matei Ciobanu "
    "Lungu Mocanu Moldovan Dinu Diaconu Șerban Țurcanu Nistor Tănase Bălan Oprea Dobre Preda Neagu "
    "Lăcătuș Florea Stănescu Mureșan Ardeleanu Tudose Marinescu Păun Bădescu Cîrstea Vâlcu"
)

BG_MALE = _w(
    "Георги Иван Димитър Николай Петър Христо Стефан Тодор Живко Васил Красимир Йордан Любомир "
    "Борис Ангел Цветан Калоян Илия Асен Веселин Здравко Щерю"
)
BG_FEMALE = _w(
    "Мария Иванка Елена Йорданка Пенка Цветанка Радка Десислава Гергана Надежда Росица Виолета "
    "Зорница Жана Юлия Янка Снежана Божидара Светлана Стефка"
)
BG_SURNAMES_MALE = _w(
    "Иванов Георгиев Димитров Петров Николов Христов Стоянов Тодоров Илиев Василев Атанасов "
    "Ангелов Йорданов Маринов Костов Кирилов Жеков Цветков Шишков Якимов Юруков Христозов Асенов"
)

PL_MALE = _w(
    "Piotr Krzysztof Andrzej Tomasz Paweł Michał Marcin Grzegorz Łukasz Jakub Kamil Mateusz "
    "Wojciech Dariusz Rafał Szymon Zbigniew Jerzy Bartłomiej Sławomir"
)
PL_FEMALE = _w(
    "Anna Katarzyna Małgorzata Agnieszka Barbara Ewa Magdalena Joanna Aleksandra Monika Zofia "
    "Karolina Natalia Justyna Dorota Beata Żaneta Jolanta Grażyna Łucja"
)
PL_SURNAMES = _w(
    "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak "
    "Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski Nowakowski "
    "Pawłowski Michalski Król Wieczorek Jabłoński Wróbel"
)

SY_MALE = _w(
    "Mohammad Ahmad Mahmoud Khaled Omar Hassan Hussein Ali Abdulrahman Yousef Ibrahim Mustafa "
    "Bilal Rami Samer Tarek Fadi Ammar Walid Anas"
)
SY_FEMALE = _w(
    "Fatima Aisha Maryam Zainab Rana Hiba Nour Rasha Lina Hala Dima Yasmin Amal Reem Salma Heba "
    "Ghada Huda Rim Asmaa"
)
SY_SURNAMES = _w(
    "Al-Ahmad Al-Hassan Al-Ali Khalil Haddad Hamdan Ibrahim Mahmoud Darwish Khoury Saleh Nasser "
    "Al-Khatib Kassem Othman Youssef Hamoud Suleiman Abdallah Al-Masri Hijazi Shaker"
)

XX_MALE = _w(
    "Giuseppe Marco Antonio Giorgos Dimitrios Nikos Oleksandr Andriy Dmytro Ardit Besnik Luan "
    "Goran Dragan Milan Ahmed Karim Reza Arman Davit"
)
XX_FEMALE = _w(
    "Giulia Francesca Rosa Eleni Maria Katerina Olena Iryna Natalia Arta Blerta Vjosa Jelena "
    "Milica Ivana Leyla Shirin Mariam Ani Sara"
)
XX_SURNAMES = _w(
    "Russo Esposito Romano Papadopoulos Georgiou Nikolaidis Shevchenko Kovalenko Bondarenko "
    "Krasniqi Berisha Gashi Hoxha Jovanović Petrović Nikolić Horvat Rahimi Hosseini Petrosyan "
    "Grigoryan Ferrari Colombo"
)

# The "other" group is made of smaller communities; a household draws its names and
# nationality from one of them: (share, male, female, surnames, nationalities).
XX_GROUPS: tuple[tuple[float, list[str], list[str], list[str], tuple[tuple[str, float], ...]], ...] = (
    (
        0.25,
        _w("Giuseppe Marco Antonio Luca Francesco Alessandro Matteo Davide Salvatore Vincenzo"),
        _w("Giulia Francesca Rosa Chiara Sara Valentina Martina Elena Anna Carmela"),
        _w("Russo Esposito Romano Ferrari Colombo Ricci Marino Greco Bruno Gallo Conti De Luca"),
        (("IT", 0.8), ("DE,IT", 0.2)),
    ),
    (
        0.15,
        _w("Giorgos Dimitrios Nikos Konstantinos Ioannis Vasilis Christos Panagiotis"),
        _w("Eleni Maria Katerina Sofia Georgia Anna Dimitra Vasiliki"),
        _w("Papadopoulos Georgiou Nikolaidis Papadakis Vlachos Oikonomou Karagiannis Pappas"),
        (("GR", 0.8), ("DE,GR", 0.2)),
    ),
    (
        0.25,
        _w("Oleksandr Andriy Dmytro Serhiy Volodymyr Maksym Yuriy Mykola"),
        _w("Olena Iryna Natalia Oksana Tetiana Yulia Kateryna Svitlana"),
        _w("Shevchenko Kovalenko Bondarenko Tkachenko Kravchenko Melnyk Boyko Kovalchuk"),
        (("UA", 1.0),),
    ),
    (
        0.2,
        _w("Ardit Besnik Luan Arben Driton Valon Fatos Gentian"),
        _w("Arta Blerta Vjosa Albana Drita Lirije Fatmire Donika"),
        _w("Krasniqi Berisha Gashi Hoxha Morina Shala Kastrati Bytyqi"),
        (("XK", 0.7), ("DE", 0.3)),
    ),
    (
        0.15,
        _w("Goran Dragan Milan Nikola Marko Zoran Stefan Ivan"),
        _w("Jelena Milica Ivana Marija Dragana Snežana Ana Maja"),
        _w("Jovanović Petrović Nikolić Horvat Marković Kovačević Babić Đorđević"),
        (("RS", 0.5), ("HR", 0.4), ("DE,HR", 0.1)),
    ),
)

# Nationalities (ISO 3166-1 alpha-2) per origin group: (value, weight).
NATIONALITIES: dict[str, tuple[tuple[str, float], ...]] = {
    "DE": (("DE", 1.0),),
    "TR": (("DE", 0.45), ("TR", 0.30), ("DE,TR", 0.25)),
    "RO": (("RO", 0.92), ("DE,RO", 0.08)),
    "BG": (("BG", 0.95), ("DE,BG", 0.05)),
    "PL": (("PL", 0.60), ("DE,PL", 0.25), ("DE", 0.15)),
    "SY": (("SY", 0.65), ("DE", 0.20), ("DE,SY", 0.15)),
    "XX": (
        ("IT", 0.18),
        ("GR", 0.14),
        ("UA", 0.18),
        ("XK", 0.14),
        ("RS", 0.08),
        ("HR", 0.08),
        ("IR", 0.06),
        ("AM", 0.04),
        ("DE", 0.10),
    ),
}
EU_CODES = frozenset({"DE", "RO", "BG", "PL", "IT", "GR", "HR"})

# --- transliteration of Bulgarian Cyrillic ---------------------------------------------

_BG_OFFICIAL = dict(
    zip(
        "абвгдежзийклмнопрстуфхцчшщъьюя",
        _w("a b v g d e zh z i y k l m n o p r s t u f h ts ch sh sht a y yu ya"),
        strict=True,
    )
)
_BG_GERMAN = dict(
    zip(
        "абвгдежзийклмнопрстуфхцчшщъьюя",
        _w("a b w g d e sch s i j k l m n o p r s t u f ch z tsch sch schtsch a j ju ja"),
        strict=True,
    )
)
_BG_FRENCH = dict(
    zip(
        "абвгдежзийклмнопрстуфхцчшщъьюя",
        _w("a b v g d e j z i i k l m n o p r s t ou f kh ts tch ch cht a i iou ia"),
        strict=True,
    )
)


def transliterate_bg(word: str, scheme: str) -> str:
    table = {"official": _BG_OFFICIAL, "german": _BG_GERMAN, "french": _BG_FRENCH}[scheme]
    out = []
    low = word.lower()
    for i, ch in enumerate(low):
        piece = table.get(ch, ch)
        nxt = low[i + 1] if i + 1 < len(low) else ""
        if scheme == "french" and ch == "г" and nxt in "еи":
            piece = "gu"
        if scheme == "french" and ch == "е" and i == 0:
            piece = "e"
        out.append(piece)
    text = "".join(out)
    return text[:1].upper() + text[1:] if text else text


def bg_female_surname(male: str) -> str:
    return male + "а"


BG_SURNAMES = tuple(BG_SURNAMES_MALE) + tuple(bg_female_surname(s) for s in BG_SURNAMES_MALE)

# --- folding tables used for variants -----------------------------------------------

RO_CEDILLA = {"ș": "ş", "ț": "ţ", "Ș": "Ş", "Ț": "Ţ"}
RO_STRIP = {
    "ș": "s",
    "ț": "t",
    "Ș": "S",
    "Ț": "T",
    "ă": "a",
    "â": "a",
    "î": "i",
    "Ă": "A",
    "Â": "A",
    "Î": "I",
}
TR_FOLD = {
    "ğ": "g",
    "ı": "i",
    "ş": "s",
    "ç": "c",
    "ö": "o",
    "ü": "u",
    "İ": "I",
    "Ş": "S",
    "Ç": "C",
    "Ö": "O",
    "Ü": "U",
    "Ğ": "G",
}
DE_FOLD = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
PL_STRIP = {
    "ł": "l",
    "Ł": "L",
    "ą": "a",
    "ę": "e",
    "ś": "s",
    "Ś": "S",
    "ć": "c",
    "ń": "n",
    "ó": "o",
    "ź": "z",
    "ż": "z",
    "Ż": "Z",
}
XX_STRIP = {
    "ć": "c",
    "č": "c",
    "š": "s",
    "ž": "z",
    "đ": "dj",
    "Đ": "Dj",
    "Š": "S",
    "Ž": "Z",
    "Č": "C",
    "Ć": "C",
}


def names_for(origin: str) -> tuple[list[str], list[str], list[str]]:
    """(male given names, female given names, surnames) in the canonical (register) form.

    Bulgarian names are returned in the official Latin transliteration (passport form).
    """
    if origin == "DE":
        return DE_MALE, DE_FEMALE, list(DE_SURNAMES) + list(DE_SURNAMES_EXTRA)
    if origin == "TR":
        return TR_MALE, TR_FEMALE, TR_SURNAMES
    if origin == "RO":
        return RO_MALE, RO_FEMALE, RO_SURNAMES
    if origin == "BG":
        return (
            [transliterate_bg(n, "official") for n in BG_MALE],
            [transliterate_bg(n, "official") for n in BG_FEMALE],
            [transliterate_bg(n, "official") for n in BG_SURNAMES],
        )
    if origin == "PL":
        return PL_MALE, PL_FEMALE, PL_SURNAMES
    if origin == "SY":
        return SY_MALE, SY_FEMALE, SY_SURNAMES
    return XX_MALE, XX_FEMALE, XX_SURNAMES


def bg_variant_maps() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Maps from the official Latin form to the German, French and Cyrillic forms."""
    german: dict[str, str] = {}
    french: dict[str, str] = {}
    cyr: dict[str, str] = {}
    for word in list(BG_MALE) + list(BG_FEMALE) + list(BG_SURNAMES):
        official = transliterate_bg(word, "official")
        german[official] = transliterate_bg(word, "german")
        french[official] = transliterate_bg(word, "french")
        cyr[official] = word
    return german, french, cyr


STREET_STEMS = _w(
    "Bahnhof Haupt Kirch Schul Markt Wilhelm Friedrich Bismarck Goethe Schiller Lessing Mozart "
    "Beethoven Linden Eichen Birken Buchen Ahorn Kastanien Ulmen Rosen Tulpen Nelken Garten Feld "
    "Wiesen Mühlen Berg Tal Wald Heide Brunnen Post Rathaus Zechen Schacht Hütten Glückauf "
    "Gelsenkirchener Bochumer Dortmunder Recklinghauser Castroper Wanne Eickeler Holsterhauser "
    "Sodinger Horsthauser Börniger Baukauer Röhlinghauser Crange Strünkeder Koniner Flottmann "
    "Bergmann Steiger Kokerei Kanal Hafen Emscher Dorf Hof Kamp Sand Stein Mond Sonnen Stern "
    "Amsel Drossel Finken Lerchen Falken Adler Schwalben Meisen Jahn Kolping Overweg Mont-Cenis "
    "Hölderlin Eichendorff Droste Heine Brahms Händel Haydn Schubert Bach Luther Melanchthon "
    "Stein Hardenberg Blücher Gneisenau Scharnhorst Moltke Roon Kaiser König Prinzen Fürsten "
    "Grafen Ritter Burg Schloss Park Allee Ring Wall Tor Brücken Ufer Deich Hellweg Cranger "
    "Edmund Ludwig Heinrich Karl August Hermann Otto Emil Franz Paul Anna Luisen Viktoria "
    "Augusta Elisabeth Marien Sophien Helenen Klara Berta Martha Agnes"
)
STREET_SUFFIXES = (
    ("straße", 0.62),
    ("weg", 0.16),
    ("allee", 0.04),
    ("platz", 0.03),
    ("ring", 0.05),
    ("", 0.10),
)
COMPANY_STEMS = _w(
    "Ruhr Emscher Revier Glückauf Zeche Hellweg Westfalen Rhein Kohle Stahl Hansa Union Merkur "
    "Phönix Concordia Victoria Fortuna Aurora Vulcan Atlas Nordstern Pluto Shamrock Teutoburgia "
    "Constantin Erin Minister Hannibal Friedrich Mont-Cenis"
)
BRANCHES = _w(
    "Gebäudereinigung Gastronomie Logistik Bau Transporte Dienstleistungen Handel Pflegedienst "
    "Sicherheitsdienst Kurierdienst Catering Facility Service Trockenbau Autohandel Kiosk "
    "Friseur Bäckerei Imbiss Personalservice Reinigungsservice"
)
LEGAL_FORMS = (
    ("GmbH", 0.55),
    ("UG (haftungsbeschränkt)", 0.15),
    ("GmbH & Co. KG", 0.1),
    ("e.K.", 0.1),
    ("OHG", 0.1),
)
