"""`missimo import SOURCE FILE` exactly as the contract says, on the embedded default."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def _missimo(*args, data_dir):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "missimo.cli", *map(str, args)],
        env={**env, "MISSIMO_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        check=False,
    )


def _current_snapshot_import(data_dir, source):
    with sqlite3.connect(data_dir / "missimo.sqlite3") as db:
        row = db.execute(
            "SELECT source_import_id FROM imports_sourcesnapshot WHERE source = ?", (source,)
        ).fetchone()
    return row[0] if row else None


def _status(data_dir, delivery_id):
    with sqlite3.connect(data_dir / "missimo.sqlite3") as db:
        return db.execute("SELECT status FROM imports_import WHERE id = ?", (delivery_id,)).fetchone()[0]


def test_all_six_exports_of_a_city_are_taken_with_their_counts(small_city, tmp_path):
    for source in ("melderegister", "kindergeld", "schule", "jobcenter", "seu", "objekte"):
        result = _missimo("import", source, small_city / f"{source}.csv", data_dir=tmp_path)
        assert result.returncode == 0, result.stderr
        rows = len((small_city / f"{source}.csv").read_text(encoding="utf-8").splitlines()) - 1
        count = f"{rows:,}".replace(",", ".")
        assert f"{source}: {count} übernommen, 0 abgelehnt" in result.stdout


def test_a_file_with_some_bad_rows_is_taken_and_the_bad_rows_are_reported(small_city, tmp_path):
    lines = (small_city / "kindergeld.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    bad = lines[1].split(";")
    bad[header.index("Kindergeldnummer")] = "12FK34"
    (tmp_path / "kg.csv").write_text(
        "\n".join([lines[0], *lines[1:5], ";".join(bad)]) + "\n", encoding="utf-8"
    )
    result = _missimo("import", "kindergeld", tmp_path / "kg.csv", data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert "4 übernommen, 1 abgelehnt" in result.stdout
    rejected = Path(result.stdout.split("Abgelehnte Zeilen mit Gründen: ")[1].strip())
    content = rejected.read_text(encoding="utf-8-sig")
    assert "12FK34" in content and "Zeile" in content and "Fehler" in content


def test_a_file_of_the_wrong_source_is_refused_with_one_german_message(small_city, tmp_path):
    result = _missimo("import", "kindergeld", small_city / "schule.csv", data_dir=tmp_path)
    assert result.returncode != 0
    assert "Datei abgelehnt" in result.stderr
    assert "Schulen" in result.stderr
    assert _current_snapshot_import(tmp_path, "kindergeld") is None


def test_a_refused_file_leaves_the_current_snapshot_in_place(small_city, tmp_path):
    assert _missimo("import", "seu", small_city / "seu.csv", data_dir=tmp_path).returncode == 0
    before = _current_snapshot_import(tmp_path, "seu")
    (tmp_path / "leer.csv").write_bytes(b"")
    assert _missimo("import", "seu", tmp_path / "leer.csv", data_dir=tmp_path).returncode != 0
    assert _current_snapshot_import(tmp_path, "seu") == before


def test_importing_the_identical_file_again_is_recognised(small_city, tmp_path):
    _missimo("import", "objekte", small_city / "objekte.csv", data_dir=tmp_path)
    again = _missimo("import", "objekte", small_city / "objekte.csv", data_dir=tmp_path)
    assert again.returncode == 0
    assert "identisch mit der Lieferung Nr. 1" in again.stdout


def test_a_variant_layout_is_read_with_a_mapping_file(small_city, tmp_path):
    text = (small_city / "objekte.csv").read_text(encoding="utf-8")
    variant = text.replace("Objekt_ID;", "Gebaeudenummer;", 1).replace("Strasse;", "Straße;", 1)
    (tmp_path / "variante.csv").write_text(variant, encoding="utf-8")
    refused = _missimo("import", "objekte", tmp_path / "variante.csv", data_dir=tmp_path / "d")
    assert refused.returncode != 0
    (tmp_path / "zuordnung.csv").write_text(
        "Spalte;Feld\nGebaeudenummer;Objekt_ID\nStraße;Strasse\n", encoding="utf-8"
    )
    taken = _missimo(
        "import",
        "objekte",
        tmp_path / "variante.csv",
        "--mapping",
        tmp_path / "zuordnung.csv",
        data_dir=tmp_path / "d",
    )
    assert taken.returncode == 0, taken.stderr


def test_a_missing_file_is_a_clear_error(tmp_path):
    result = _missimo("import", "seu", tmp_path / "gibtesnicht.csv", data_dir=tmp_path)
    assert result.returncode != 0
    assert "gibt es nicht" in result.stderr


def test_an_unknown_source_is_refused(tmp_path):
    result = _missimo("import", "grundbuch", tmp_path / "x.csv", data_dir=tmp_path)
    assert result.returncode != 0


def _big_melderegister(small_city, target: Path, copies: int) -> None:
    lines = (small_city / "melderegister.csv").read_text(encoding="utf-8").splitlines()
    with open(target, "w", encoding="utf-8") as out:
        out.write(lines[0] + "\n")
        for n in range(copies):
            for line in lines[1:]:
                key, rest = line.split(";", 1)
                out.write(f"{key}-{n};{rest}\n")


def test_a_killed_import_leaves_the_previous_snapshot_and_is_marked_failed(small_city, tmp_path):
    data_dir = tmp_path / "data"
    assert (
        _missimo("import", "melderegister", small_city / "melderegister.csv", data_dir=data_dir).returncode
        == 0
    )
    previous = _current_snapshot_import(data_dir, "melderegister")
    big = tmp_path / "gross.csv"
    _big_melderegister(small_city, big, copies=80)
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    process = subprocess.Popen(
        [sys.executable, "-m", "missimo.cli", "import", "melderegister", str(big)],
        env={**env, "MISSIMO_DATA_DIR": str(data_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with sqlite3.connect(data_dir / "missimo.sqlite3") as db:
            running = db.execute("SELECT id FROM imports_import WHERE status = 'running'").fetchone()
        if running:
            break
        time.sleep(0.05)
    assert running, "the import never started"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _current_snapshot_import(data_dir, "melderegister") == previous
    # The next command notices the dead process and marks the import failed.
    _missimo("import", "seu", small_city / "seu.csv", data_dir=data_dir)
    assert _status(data_dir, running[0]) == "failed"
    assert _current_snapshot_import(data_dir, "melderegister") == previous
