"""Strict reading of MISSIMO's configuration from environment variables.

Every setting the application reads is declared here once, with its type, default and a
German/English description; `docs/configuration.md` is generated from this list
(`missimo config --markdown`). Values are parsed strictly: ``"yes"`` is an error, not False.
Secrets may also be given as ``NAME_FILE`` pointing to a file that holds the value.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration value is malformed; the message names the variable."""


_TRUE = {"1", "true", "on"}
_FALSE = {"0", "false", "off"}


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("expected one of 1/0, true/false, on/off")


def parse_int(raw: str) -> int:
    return int(raw.strip(), 10)


def parse_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_str(raw: str) -> str:
    return raw


BASEMAP_DE_TILES = (
    "https://sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/de_basemapde_web_raster_farbe/default/"
    "GLOBAL_WEBMERCATOR/{z}/{y}/{x}.png"
)
BASEMAP_DE_ATTRIBUTION = "© basemap.de / BKG, Datenquellen: © GeoBasis-DE"
NO_TILES = ("aus", "off", "none", "keine")


def parse_tile_url(raw: str) -> str:
    """A tile URL template (XYZ, or WMTS in REST form with {z}/{y}/{x}); `aus` switches the
    background off (closed city networks without a tile server)."""
    if raw.strip().lower() in NO_TILES:
        return ""
    if not raw.startswith(("https://", "http://", "/")) or not all(f"{{{c}}}" in raw for c in "xyz"):
        raise ValueError("expected a URL template with {z}, {x} and {y} (or `aus`)")
    return raw


def parse_engine_backend(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("duckdb", "spark"):
        raise ValueError("expected duckdb or spark")
    return value


RUN_SCHEDULE_OFF = ("", "aus", "off")


def parse_run_schedule(raw: str) -> str:
    """When runs start by themselves: ``aus`` (default), ``monatlich:<Tag>`` (day 1-28 of every
    month) or ``lieferungen`` (as soon as every source has a delivery newer than the last run)."""
    value = raw.strip().lower()
    if value in RUN_SCHEDULE_OFF:
        return ""
    if value == "lieferungen":
        return value
    kind, _, day = value.partition(":")
    if kind == "monatlich" and day.isdigit() and 1 <= int(day) <= 28:
        return f"monatlich:{int(day)}"
    raise ValueError("expected aus, lieferungen or monatlich:<day 1-28>")


def parse_pairs(raw: str) -> dict[str, str]:
    """``key=value`` entries separated by ``;`` (Spark settings)."""
    pairs: dict[str, str] = {}
    for item in raw.split(";"):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected key=value, got {item.strip()!r}")
        pairs[key.strip()] = value.strip()
    return pairs


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any
    description: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "MISSIMO_DATA_DIR",
        parse_str,
        "./var",
        "Data directory of the embedded default: SQLite databases, stored source files, snapshots, "
        "run results. Created on first use.",
    ),
    Setting(
        "DATABASE_URL",
        parse_str,
        "",
        "Database of the application, e.g. `postgres://user@host:5432/missimo`. Empty: SQLite in the "
        "data directory.",
        secret=True,
    ),
    Setting(
        "AUDIT_DATABASE_URL",
        parse_str,
        "",
        "Database of the audit log. Empty: with PostgreSQL the same database as DATABASE_URL over a "
        "separate connection; with SQLite a separate file `audit.sqlite3` in the data directory.",
        secret=True,
    ),
    Setting(
        "MISSIMO_SECRET_KEY",
        parse_str,
        "",
        "Django secret key. Empty: a random key is created once in the data directory (file mode 0600).",
        secret=True,
    ),
    Setting("MISSIMO_DEBUG", parse_bool, False, "Django debug mode. Never in production."),
    Setting(
        "MISSIMO_ALLOWED_HOSTS",
        parse_list,
        ["127.0.0.1", "localhost"],
        "Comma-separated host names the application answers to.",
    ),
    Setting(
        "MISSIMO_CSRF_TRUSTED_ORIGINS",
        parse_list,
        [],
        "Comma-separated origins (scheme + host) trusted for CSRF, e.g. `https://missimo.stadt.de`.",
    ),
    Setting(
        "MISSIMO_SECURE",
        parse_bool,
        True,
        "Production transport security: secure cookies, HSTS, redirect to HTTPS. Set to false only for "
        "a local demo on http://127.0.0.1.",
    ),
    Setting(
        "MISSIMO_SESSION_TIMEOUT_MINUTES",
        parse_int,
        30,
        "Minutes of inactivity after which a user is logged out.",
    ),
    Setting(
        "MISSIMO_REQUIRE_2FA",
        parse_bool,
        True,
        "Require a second factor (TOTP app) for every role that sees personal data. Only the local demo "
        "(`missimo demo`) turns this off.",
    ),
    Setting(
        "MISSIMO_LOGIN_FAILURE_LIMIT",
        parse_int,
        5,
        "Failed log-ins for one user name after which the account is locked (django-axes).",
    ),
    Setting(
        "MISSIMO_LOGIN_COOLOFF_MINUTES",
        parse_int,
        30,
        "Minutes a locked account stays locked; an administrator can lift the lock earlier "
        "(`missimo manage axes_reset_username NAME`).",
    ),
    Setting(
        "MISSIMO_AUTH_GROUP_ROLES",
        parse_str,
        "",
        "Mapping of groups of the identity provider (OIDC claim or LDAP group DN) to a MISSIMO role and "
        "agency: entries `GROUP|role|Agency name` separated by `;`, e.g. "
        "`missimo-fk|familienkasse|Familienkasse Musterstadt`. Roles are the codes of "
        "docs/sicherheit.md. Used by OIDC and LDAP; local accounts keep their groups.",
    ),
    Setting("MISSIMO_OIDC_ENABLED", parse_bool, False, "Offer log-in through an OpenID Connect provider."),
    Setting("MISSIMO_OIDC_CLIENT_ID", parse_str, "", "OIDC client id of MISSIMO at the provider."),
    Setting("MISSIMO_OIDC_CLIENT_SECRET", parse_str, "", "OIDC client secret.", secret=True),
    Setting(
        "MISSIMO_OIDC_AUTHORIZATION_ENDPOINT",
        parse_str,
        "",
        "Authorization endpoint of the provider, e.g. `https://idp.stadt.de/realms/stadt/protocol/"
        "openid-connect/auth`.",
    ),
    Setting("MISSIMO_OIDC_TOKEN_ENDPOINT", parse_str, "", "Token endpoint of the provider."),
    Setting("MISSIMO_OIDC_USERINFO_ENDPOINT", parse_str, "", "Userinfo endpoint of the provider."),
    Setting("MISSIMO_OIDC_JWKS_ENDPOINT", parse_str, "", "JWKS endpoint (keys for RS256 ID tokens)."),
    Setting("MISSIMO_OIDC_SIGN_ALGO", parse_str, "RS256", "Signing algorithm of the ID tokens."),
    Setting("MISSIMO_OIDC_SCOPES", parse_str, "openid email profile", "Scopes requested from the provider."),
    Setting(
        "MISSIMO_OIDC_GROUPS_CLAIM",
        parse_str,
        "groups",
        "Claim of the userinfo/ID token that lists the user's groups (mapped by MISSIMO_AUTH_GROUP_ROLES).",
    ),
    Setting("MISSIMO_LDAP_ENABLED", parse_bool, False, "Check passwords against an LDAP directory."),
    Setting("MISSIMO_LDAP_SERVER_URI", parse_str, "", "LDAP server, e.g. `ldaps://ldap.stadt.de`."),
    Setting("MISSIMO_LDAP_START_TLS", parse_bool, False, "Use StartTLS on an `ldap://` connection."),
    Setting("MISSIMO_LDAP_BIND_DN", parse_str, "", "DN of the service account that searches users."),
    Setting("MISSIMO_LDAP_BIND_PASSWORD", parse_str, "", "Password of the service account.", secret=True),
    Setting(
        "MISSIMO_LDAP_USER_SEARCH_BASE",
        parse_str,
        "",
        "Base DN of the user search, e.g. `ou=people,dc=stadt`.",
    ),
    Setting(
        "MISSIMO_LDAP_USER_FILTER",
        parse_str,
        "(uid=%(user)s)",
        "Filter of the user search; `%(user)s` is the user name typed at the log-in.",
    ),
    Setting(
        "MISSIMO_LDAP_GROUP_SEARCH_BASE",
        parse_str,
        "",
        "Base DN of the group search (groupOfNames); the group DNs are mapped by MISSIMO_AUTH_GROUP_ROLES.",
    ),
    Setting(
        "MISSIMO_LDAP_GROUP_FILTER",
        parse_str,
        "(objectClass=groupOfNames)",
        "Filter of the group search; groups list their members in `member` (OpenLDAP groupOfNames; "
        "Active Directory: `(objectClass=group)`).",
    ),
    Setting("MISSIMO_LANGUAGE", parse_str, "de", "Default language of the user interface (`de` or `en`)."),
    Setting("MISSIMO_TIME_ZONE", parse_str, "Europe/Berlin", "Time zone for dates shown to users."),
    Setting(
        "MISSIMO_MAP_TILE_URL",
        parse_tile_url,
        BASEMAP_DE_TILES,
        "Background map tiles (XYZ or WMTS REST template with `{z}`, `{x}`, `{y}`). Default: the federal "
        "web map basemap.de (BKG, web raster, Web Mercator). A city tile server or a local mirror, e.g. "
        "`https://karten.stadt.de/{z}/{x}/{y}.png`; `aus`: markers without a background "
        "(see docs/adr/0004-basemap-and-on-premises-tiles.md).",
    ),
    Setting(
        "MISSIMO_MAP_TILE_ATTRIBUTION",
        parse_str,
        BASEMAP_DE_ATTRIBUTION,
        "Attribution shown on every map (required by the tile provider's licence).",
    ),
    Setting(
        "MISSIMO_CITY_NAME",
        parse_str,
        "Musterstadt",
        "Name of the city shown in the header; the demo city's addresses carry it too.",
    ),
    Setting(
        "MISSIMO_LOG_LEVEL", parse_str, "INFO", "Log level of the application (DEBUG, INFO, WARNING, ERROR)."
    ),
    Setting(
        "MISSIMO_EMAIL_NOTIFICATIONS",
        parse_bool,
        False,
        "Send e-mail notifications (deadlines and follow-ups due) through the SMTP server below. Off by "
        "default. A mail holds no personal data, only what is due and a link.",
    ),
    Setting("MISSIMO_SMTP_HOST", parse_str, "localhost", "SMTP server for notifications."),
    Setting("MISSIMO_SMTP_PORT", parse_int, 25, "Port of the SMTP server."),
    Setting("MISSIMO_SMTP_USER", parse_str, "", "User name at the SMTP server (empty: no log-in)."),
    Setting("MISSIMO_SMTP_PASSWORD", parse_str, "", "Password at the SMTP server.", secret=True),
    Setting("MISSIMO_SMTP_STARTTLS", parse_bool, False, "Use STARTTLS towards the SMTP server."),
    Setting("MISSIMO_EMAIL_FROM", parse_str, "missimo@localhost", "Sender address of notifications."),
    Setting(
        "MISSIMO_BASE_URL",
        parse_str,
        "",
        "Public address of MISSIMO for links in notifications, e.g. `https://missimo.stadt.de`.",
    ),
    Setting(
        "MISSIMO_IMPORT_HOLD_SHRINK_PERCENT",
        parse_int,
        20,
        "A delivery with this many percent fewer accepted rows than the delivery in force (or missing "
        "columns the delivery in force had) is held for confirmation instead of replacing it.",
    ),
    Setting(
        "MISSIMO_RETENTION_SOURCE_FILES_DAYS",
        parse_int,
        90,
        "Days an original delivered file is kept in the data directory (for queries from the delivering "
        "office), then deleted by `missimo purge`.",
    ),
    Setting(
        "MISSIMO_RETENTION_SNAPSHOTS_DAYS",
        parse_int,
        90,
        "Days a source snapshot stays usable after it was imported; an expired snapshot is deleted by "
        "`missimo purge`, and rules that need the source are reported as not evaluated until a new delivery.",
    ),
    Setting(
        "MISSIMO_RETENTION_HINTS_MONTHS",
        parse_int,
        6,
        "Months the hints of a run are kept (counted from the run); then `missimo purge` deletes them with "
        "the run's ranking and analysis files. Hints taken into a case stay as long as the case.",
    ),
    Setting(
        "MISSIMO_RETENTION_CLOSED_CASES_MONTHS",
        parse_int,
        24,
        "Months a closed or discarded case (with its history and the hints it rests on) is kept after it "
        "was closed; then `missimo purge` deletes it.",
    ),
    Setting(
        "MISSIMO_RETENTION_CERTIFICATES_MONTHS",
        parse_int,
        12,
        "Months a Schulbescheinigung is kept after its validity ended (revoked ones too); then "
        "`missimo purge` deletes it.",
    ),
    Setting(
        "MISSIMO_RETENTION_AUDIT_YEARS",
        parse_int,
        2,
        "Years an audit entry is kept; then `missimo purge` deletes it and leaves a signed checkpoint, so "
        "that `missimo audit verify` still checks the rest of the chain.",
    ),
    Setting(
        "MISSIMO_LINK_REVIEW_SAMPLE_SIZE",
        parse_int,
        20,
        "Pairs of person records per probability band that a run keeps for measuring the precision of the "
        "person linkage (linked pairs in four bands, unlinked pairs near the threshold); 0 draws no sample.",
    ),
    Setting(
        "MISSIMO_RETENTION_LINK_REVIEW_DAYS",
        parse_int,
        14,
        "Days the pairs of a run's linkage review sample are kept (a label deletes the pair's records at once, "
        "its label stays for the estimate); then `missimo purge` deletes every pair of the run, and only the "
        "estimate and the counts per stratum stay on the run.",
    ),
    Setting(
        "MISSIMO_RUN_SCHEDULE",
        parse_run_schedule,
        "",
        "When an Abgleich starts by itself, run by the scheduler that `missimo serve` starts: `aus` "
        "(default: only by hand), `monatlich:<day>` (every month on that day, 1-28, unless a run was "
        "already started since) or `lieferungen` (as soon as every source has a delivery newer than "
        "the last run).",
    ),
    Setting(
        "MISSIMO_PURGE_HOUR",
        parse_int,
        3,
        "Hour of the day (local time, 0-23) at which `missimo serve` applies the retention periods "
        "(`missimo purge`) every day.",
    ),
    Setting(
        "MISSIMO_UPLOAD_MAX_MB",
        parse_int,
        512,
        "Largest accepted upload of an agency export, in MiB.",
    ),
    Setting(
        "MISSIMO_IMPORT_MAX_LINE_KB",
        parse_int,
        64,
        "Longest accepted line of a delivered CSV file, in KiB; a longer line (a file without line "
        "breaks) refuses the delivery before it is read into memory.",
    ),
    Setting(
        "MISSIMO_IMPORT_BATCH_ROWS",
        parse_int,
        10000,
        "Data rows of a delivered CSV file checked at a time. A CSV is read as a stream and its rows are "
        "spooled to temporary files, so the memory of an import grows with this number, not with the "
        "file (about 200 MiB above the process's base at the default, see docs/sicherheit.md).",
    ),
    Setting(
        "MISSIMO_IMPORT_XLSX_MAX_UNPACKED_MB",
        parse_int,
        256,
        "Largest accepted unpacked size of a delivered XLSX file, in MiB (zip bombs are refused before "
        "they are read).",
    ),
    Setting(
        "MISSIMO_IMPORT_XLSX_MAX_RATIO",
        parse_int,
        100,
        "Largest accepted ratio of unpacked to packed size of a delivered XLSX file.",
    ),
    Setting(
        "MISSIMO_IMPORT_REJECTED_ROWS_KEPT",
        parse_int,
        10000,
        "Rows kept in the downloadable file of rejected rows of a delivery; the file states how many "
        "further rejected rows it leaves out (the counts of the delivery are always complete). While a "
        "delivery is read, only this many rejected rows (at least 10,000, the errors stored for display) "
        "are held in memory.",
    ),
    Setting(
        "MISSIMO_AUDIT_KEY",
        parse_str,
        "",
        "Secret key (at least 32 characters) of the keyed audit chain (HMAC-SHA256 of every audit entry "
        "and of the exported checkpoints); never stored in a database. Empty: a random key is created "
        "once in the data directory as `audit_key` (file mode 0600). Keep a copy outside the server: "
        "without it `missimo audit verify` cannot check the log.",
        secret=True,
    ),
    Setting(
        "MISSIMO_AUDIT_SIGNING_KEY_FILE",
        parse_str,
        "",
        "File of the private Ed25519 key that signs the exported audit checkpoints (PEM, mode 0600). "
        "Empty: `audit_signing_key` in the data directory, created once.",
    ),
    Setting(
        "MISSIMO_AUDIT_PUBLIC_KEY",
        parse_str,
        "",
        "The public Ed25519 key of the checkpoints (base64, `missimo audit public-key` prints it), "
        "pinned so that `missimo audit verify` notices a replaced signing key. Keep it also outside "
        "the server: checking a checkpoint needs only this key, and with it nobody can forge one.",
    ),
    Setting(
        "MISSIMO_AUDIT_CHECKPOINT_FILE",
        parse_str,
        "",
        "File to which every audit entry's signed checkpoint (number, hash, MAC) is appended, so that "
        "deleting the newest entries and moving the chain head is detected. Point it at a place the "
        "application's database users cannot rewrite (an append-only file, `chattr +a`, or a mounted "
        "log store). Empty: `audit_checkpoints.jsonl` in the data directory. Checkpoints also go to "
        "the Python logger `missimo.audit.checkpoint` (route it to syslog in the logging settings).",
    ),
    Setting(
        "MISSIMO_ENGINE_BACKEND",
        parse_engine_backend,
        "duckdb",
        "Where the person linkage scores its pairs: `duckdb` (on this machine) or `spark` (Splink's Spark "
        "backend, same trained model; docs/land.md). Used by `missimo run` and `missimo land run`.",
    ),
    Setting(
        "MISSIMO_SPARK_MASTER",
        parse_str,
        "local[*]",
        "Spark master for the backend `spark`: `local[N]`, `spark://host:7077` (standalone) or "
        "`k8s://https://host:443` (Kubernetes). Under spark-submit the session it made is used.",
    ),
    Setting(
        "MISSIMO_SPARK_STAGING_DIR",
        parse_str,
        "",
        "Directory through which records go to Spark and scored pairs come back (Parquet), visible to "
        "the driver and every executor (shared volume on a cluster). Empty: the run's work directory. "
        "Its files are deleted when the step ends.",
    ),
    Setting(
        "MISSIMO_SPARK_CONF",
        parse_pairs,
        {},
        "Further Spark settings as `key=value` separated by `;`, e.g. `spark.executor.memory=8g;"
        "spark.sql.shuffle.partitions=400`.",
    ),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}


def get(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """Return the parsed value of a declared setting (``NAME`` or ``NAME_FILE``)."""
    setting = _BY_NAME[name]
    env = os.environ if environ is None else environ
    raw = env.get(name)
    file_name = env.get(f"{name}_FILE")
    if raw is not None and file_name is not None:
        raise ConfigError(f"{name} and {name}_FILE are both set; set only one of them.")
    if file_name is not None:
        try:
            raw = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE: cannot read {file_name}: {exc.strerror}") from exc
    if raw is None or raw == "":
        return setting.default
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not valid: {exc}") from exc


def as_markdown() -> str:
    """The documented list of all settings, as Markdown (for docs/configuration.md)."""
    lines = [
        "| variable | default | meaning |",
        "| --- | --- | --- |",
    ]
    for setting in SETTINGS:
        default = setting.default
        if isinstance(default, list):
            default = ",".join(default)
        elif isinstance(default, bool):
            default = "true" if default else "false"
        elif isinstance(default, dict):
            default = ";".join(f"{k}={v}" for k, v in default.items())
        shown = f"`{default}`" if default not in ("", None) else "(empty)"
        extra = " Also readable from `NAME_FILE`." if setting.secret else ""
        lines.append(f"| `{setting.name}` | {shown} | {setting.description}{extra} |")
    return "\n".join(lines) + "\n"
