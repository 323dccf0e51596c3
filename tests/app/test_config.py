import pytest

from missimo import config


def test_a_boolean_setting_accepts_true_and_false_words():
    assert config.get("MISSIMO_DEBUG", {"MISSIMO_DEBUG": "true"}) is True
    assert config.get("MISSIMO_DEBUG", {"MISSIMO_DEBUG": "0"}) is False


def test_a_boolean_setting_refuses_yes_instead_of_guessing():
    with pytest.raises(config.ConfigError, match="MISSIMO_DEBUG"):
        config.get("MISSIMO_DEBUG", {"MISSIMO_DEBUG": "yes"})


def test_an_unset_setting_takes_its_documented_default():
    assert config.get("MISSIMO_SESSION_TIMEOUT_MINUTES", {}) == 30
    assert config.get("MISSIMO_DEBUG", {}) is False


def test_a_secret_can_be_read_from_a_file(tmp_path):
    secret = tmp_path / "db_url"
    secret.write_text("postgres://u@h/db\n")
    assert config.get("DATABASE_URL", {"DATABASE_URL_FILE": str(secret)}) == "postgres://u@h/db"


def test_a_secret_given_both_directly_and_as_file_is_an_error(tmp_path):
    with pytest.raises(config.ConfigError, match="both set"):
        config.get("DATABASE_URL", {"DATABASE_URL": "x", "DATABASE_URL_FILE": str(tmp_path / "f")})


def test_a_malformed_number_names_the_variable():
    with pytest.raises(config.ConfigError, match="MISSIMO_SESSION_TIMEOUT_MINUTES"):
        config.get("MISSIMO_SESSION_TIMEOUT_MINUTES", {"MISSIMO_SESSION_TIMEOUT_MINUTES": "dreißig"})


def test_the_documented_settings_list_is_the_one_in_docs():
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert config.as_markdown() in doc, "docs/configuration.md is out of date: run `missimo config`"
