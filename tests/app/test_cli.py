import os
import subprocess
import sys


def _missimo(*args, data_dir, **env):
    """Run the command line on the embedded default (SQLite in a fresh data directory)."""
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "missimo.cli", *args],
        env={**environment, "MISSIMO_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_help_lists_the_commands_that_exist(tmp_path):
    result = _missimo("--help", data_dir=tmp_path)
    assert result.returncode == 0
    for command in (
        "serve",
        "demo",
        "import",
        "run",
        "export",
        "synth",
        "purge",
        "audit",
        "config",
        "manage",
    ):
        assert command in result.stdout


def test_a_fresh_data_directory_is_created_and_migrated_on_first_use(tmp_path):
    data_dir = tmp_path / "neu"
    result = _missimo("audit", "verify", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "Protokoll unverändert" in result.stdout
    assert (data_dir / "missimo.sqlite3").exists()
    assert (data_dir / "audit.sqlite3").exists()


def test_a_malformed_setting_stops_with_a_clear_message(tmp_path):
    result = _missimo("audit", "verify", data_dir=tmp_path, MISSIMO_DEBUG="yes")
    assert result.returncode != 0
    assert "MISSIMO_DEBUG" in result.stderr


def test_no_model_change_is_missing_a_migration(tmp_path):
    result = _missimo("manage", "makemigrations", "--check", "--dry-run", data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_synth_is_reachable_through_the_main_command(tmp_path):
    result = _missimo(
        "synth",
        "--residents",
        "1000",
        "--seed",
        "3",
        "--stichtag",
        "2026-09-15",
        "--out",
        str(tmp_path / "stadt"),
        data_dir=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "stadt" / "melderegister.csv").exists()
    assert (tmp_path / "stadt" / "truth" / "expected_hints.csv").exists()


def test_a_run_before_any_delivery_explains_what_is_missing(tmp_path):
    result = _missimo("run", "--stichtag", "2026-09-15", data_dir=tmp_path)
    assert result.returncode != 0
    assert "kein Datenstand" in result.stderr


def test_a_malformed_stichtag_is_refused_in_german(tmp_path):
    result = _missimo("run", "--stichtag", "15.09.2026", data_dir=tmp_path)
    assert result.returncode != 0
    assert "JJJJ-MM-TT" in result.stderr


def test_export_before_any_run_is_a_clear_error(tmp_path):
    result = _missimo("export", "hints", str(tmp_path / "h.csv"), data_dir=tmp_path)
    assert result.returncode != 0
    assert "noch keinen abgeschlossenen Abgleich" in result.stderr


def test_the_public_key_of_the_audit_checkpoints_is_printed_for_pinning_and_its_private_key_is_0600(tmp_path):
    import base64
    import stat

    first = _missimo("audit", "public-key", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(base64.b64decode(key, validate=True)) == 32
    assert _missimo("audit", "public-key", data_dir=tmp_path).stdout.strip() == key  # created once
    assert stat.S_IMODE((tmp_path / "audit_signing_key").stat().st_mode) == 0o600
    pinned = _missimo("audit", "verify", data_dir=tmp_path, MISSIMO_AUDIT_PUBLIC_KEY=key)
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
