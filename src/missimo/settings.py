"""Django settings for MISSIMO, read strictly from environment variables.

All variables are declared in :mod:`missimo.config` and documented in docs/configuration.md.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from missimo import config
from missimo.accounts.auth_settings import authentication_settings

BASE_DIR = Path(__file__).resolve().parent

# Files and directories the application creates are readable by its own user only (issue #21):
# data directory 0700, databases, deliveries, snapshots and keys 0600.
os.umask(0o077)
DATA_DIR = Path(config.get("MISSIMO_DATA_DIR")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
with contextlib.suppress(OSError):  # not the owner (e.g. a read-only mount): the operator sets the mode
    DATA_DIR.chmod(0o700)


def _secret_key() -> str:
    configured = config.get("MISSIMO_SECRET_KEY")
    if configured:
        return str(configured)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50), encoding="ascii")
    return key_file.read_text(encoding="ascii").strip()


SECRET_KEY = _secret_key()
DEBUG = config.get("MISSIMO_DEBUG")
ALLOWED_HOSTS = config.get("MISSIMO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = config.get("MISSIMO_CSRF_TRUSTED_ORIGINS")
CITY_NAME = config.get("MISSIMO_CITY_NAME")
MAP_TILE_URL = config.get("MISSIMO_MAP_TILE_URL")
MAP_TILE_ATTRIBUTION = config.get("MISSIMO_MAP_TILE_ATTRIBUTION")
if MAP_TILE_URL != config.BASEMAP_DE_TILES and not (
    os.environ.get("MISSIMO_MAP_TILE_ATTRIBUTION") or os.environ.get("MISSIMO_MAP_TILE_ATTRIBUTION_FILE")
):
    MAP_TILE_ATTRIBUTION = ""  # another tile server: its own attribution, never basemap.de's

INSTALLED_APPS = [
    "missimo.accounts",
    "missimo.audit",
    "missimo.web",
    "missimo.imports",
    "missimo.runs",
    "missimo.privacy",
    "missimo.certificates",
    "missimo.properties",
    "missimo.casework",
    "missimo.inspections",
    "missimo.outcomes",
    "missimo.reports",
    "missimo.administration",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "missimo.web.middleware.GermanUnlessChosenMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "missimo.web.middleware.RejectNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "missimo.web.middleware.NoStoreForSignedInUsersMiddleware",
    "missimo.web.middleware.NeutraliseBidiControlsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "missimo.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "missimo.urls"
WSGI_APPLICATION = "missimo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "missimo.web.context_processors.missimo",
            ],
        },
    },
]

# --- Databases -------------------------------------------------------------------------------
# "default" holds the application's data; "audit" holds the append-only audit log on its own
# connection, so that an audit entry is committed even when the business transaction that
# wrote it rolls back.

_database_url = config.get("DATABASE_URL")
_audit_url = config.get("AUDIT_DATABASE_URL")


def _sqlite(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    DATABASES["audit"] = dj_database_url.parse(_audit_url or _database_url, conn_max_age=60)
else:
    DATABASES = {"default": _sqlite(DATA_DIR / "missimo.sqlite3")}
    DATABASES["audit"] = (
        dj_database_url.parse(_audit_url) if _audit_url else _sqlite(DATA_DIR / "audit.sqlite3")
    )
DATABASE_ROUTERS = ["missimo.audit.routers.AuditRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and authentication ------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "missimo.accounts.passwords.GermanCommonPasswordValidator"},
    {"NAME": "missimo.accounts.passwords.PersonalPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "login"

# Lockout (django-axes), second factor (django-otp), optional OIDC and LDAP: see
# missimo/accounts/auth_settings.py and docs/sicherheit.md.
globals().update(authentication_settings())
OTP_TOTP_ISSUER = f"MISSIMO {CITY_NAME}"

SESSION_COOKIE_AGE = config.get("MISSIMO_SESSION_TIMEOUT_MINUTES") * 60
SESSION_SAVE_EVERY_REQUEST = True  # the timeout counts from the last request (inactivity)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Transport and browser security ---------------------------------------------------------

_secure = config.get("MISSIMO_SECURE")
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SECURE_SSL_REDIRECT = _secure
SECURE_HSTS_SECONDS = 31536000 if _secure else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _secure
SECURE_HSTS_PRELOAD = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a decision for the city's IT, not a default of on-premises software.
    "security.W021",
    # Lockout counts failures per user name (rotating user agents or cookies does not help an
    # attacker); by address it would lock out every colleague behind the city's shared proxy.
    "axes.W006",
]

_tile_hosts = []
if MAP_TILE_URL:
    from urllib.parse import urlsplit

    _tile = urlsplit(MAP_TILE_URL)
    _tile_hosts = [f"{_tile.scheme}://{_tile.netloc.replace('{s}', '*')}"]

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:", *_tile_hosts],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
UPLOAD_MAX_BYTES = config.get("MISSIMO_UPLOAD_MAX_MB") * 1024 * 1024
# Bounds of an import (issue #21, missimo.imports.bounds)
IMPORT_MAX_LINE_BYTES = config.get("MISSIMO_IMPORT_MAX_LINE_KB") * 1024
IMPORT_BATCH_ROWS = config.get("MISSIMO_IMPORT_BATCH_ROWS")
IMPORT_XLSX_MAX_UNPACKED_BYTES = config.get("MISSIMO_IMPORT_XLSX_MAX_UNPACKED_MB") * 1024 * 1024
IMPORT_XLSX_MAX_RATIO = config.get("MISSIMO_IMPORT_XLSX_MAX_RATIO")
IMPORT_REJECTED_ROWS_KEPT = config.get("MISSIMO_IMPORT_REJECTED_ROWS_KEPT")
# The keyed audit chain (issue #21): the key is read from MISSIMO_AUDIT_KEY(_FILE) or the data
# directory (see missimo.audit.keys); the checkpoints are appended to this file.
AUDIT_KEY = config.get("MISSIMO_AUDIT_KEY")
AUDIT_KEY_FILE = DATA_DIR / "audit_key"
# Ed25519 key of the exported checkpoints (missimo.audit.keys.signing_key) and the pinned public key.
AUDIT_SIGNING_KEY_FILE = Path(config.get("MISSIMO_AUDIT_SIGNING_KEY_FILE") or DATA_DIR / "audit_signing_key")
AUDIT_PUBLIC_KEY = config.get("MISSIMO_AUDIT_PUBLIC_KEY")
AUDIT_CHECKPOINT_FILE = Path(
    config.get("MISSIMO_AUDIT_CHECKPOINT_FILE") or DATA_DIR / "audit_checkpoints.jsonl"
)
RETENTION_SOURCE_FILES_DAYS = config.get("MISSIMO_RETENTION_SOURCE_FILES_DAYS")
IMPORT_HOLD_SHRINK_PERCENT = config.get("MISSIMO_IMPORT_HOLD_SHRINK_PERCENT")

# --- Notifications by e-mail (Django's SMTP backend; off unless MISSIMO_EMAIL_NOTIFICATIONS) ----
EMAIL_NOTIFICATIONS = config.get("MISSIMO_EMAIL_NOTIFICATIONS")
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = config.get("MISSIMO_SMTP_HOST")
EMAIL_PORT = config.get("MISSIMO_SMTP_PORT")
EMAIL_HOST_USER = config.get("MISSIMO_SMTP_USER")
EMAIL_HOST_PASSWORD = config.get("MISSIMO_SMTP_PASSWORD")
EMAIL_USE_TLS = config.get("MISSIMO_SMTP_STARTTLS")
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = config.get("MISSIMO_EMAIL_FROM")
BASE_URL = config.get("MISSIMO_BASE_URL").rstrip("/")
RETENTION_SNAPSHOTS_DAYS = config.get("MISSIMO_RETENTION_SNAPSHOTS_DAYS")
# The review sample of the person linkage (issue #15): pairs per band, days its records are kept.
LINK_REVIEW_SAMPLE_SIZE = config.get("MISSIMO_LINK_REVIEW_SAMPLE_SIZE")
RETENTION_LINK_REVIEW_DAYS = config.get("MISSIMO_RETENTION_LINK_REVIEW_DAYS")

# --- Language, time, formats ----------------------------------------------------------------

LANGUAGE_CODE = config.get("MISSIMO_LANGUAGE")
# German only (issue #20): the English switch translated only the frame of the application and was
# removed rather than left half done; every page, letter and report is German.
LANGUAGES = [("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = config.get("MISSIMO_TIME_ZONE")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["missimo.formats"]

# --- Static files ---------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False

# --- Background tasks -----------------------------------------------------------------------

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Logging --------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": config.get("MISSIMO_LOG_LEVEL")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "splink": {"level": "ERROR"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
