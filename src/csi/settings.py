"""Project settings, read from the environment (see .env.example for every variable).

Defaults are safe for production: DEBUG is off, the database is SQLite in WAL mode under
CSI_DATA_DIR, the secret key is generated into CSI_DATA_DIR on first use and never committed.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("CSI_DATA_DIR") or PROJECT_DIR / "var").resolve()
# The public sample data (ServiceNow event log, OpenSLO and Backstage examples) beside the checkout, read in
# place by the demo and the tests; absent on a user's own machine, where the demo uses synthetic data.
SHARED_DATA_DIR = Path(os.environ.get("CSI_SHARED_DATA") or PROJECT_DIR.parent / "shared" / "data").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The SECRET_KEY from the environment, else from DATA_DIR/secret_key, created on first use."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("CSI_DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "rules",
    "axes",
    "csp",
    "ninja",
    "csi.core",
    "csi.accounts",
    "csi.catalog",
    "csi.standards",
    "csi.measures",
    "csi.analytics",
    "csi.improvement",
    "csi.demo",
]

MIDDLEWARE = [
    "csi.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "csi.core.middleware.PermissionsPolicyMiddleware",
    "csi.core.middleware.PrivateCacheMiddleware",
    "csi.api.middleware.ApiEdgeMiddleware",
    # Last, as django-axes asks: it turns lock-outs raised during authentication into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "csi.urls"
WSGI_APPLICATION = "csi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csi.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'csi.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and one writer work at once; IMMEDIATE takes the write lock at BEGIN so
        # concurrent writers queue on busy_timeout instead of failing with "database is locked".
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so that a `csi` subprocess or a live server in a test sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed logins: 5 in a row for one username from one address lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("CSI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("CSI_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "csi.accounts.views.lockout_response"
AXES_VERBOSE = False

# --- Internationalisation ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("CSI_COLLECTED_STATIC")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without `collectstatic` (tests, development) whitenoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = not env_bool("CSI_COLLECTED_STATIC")

# --- Security ---------------------------------------------------------------------------------------
HTTPS = env_bool("CSI_HTTPS")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("CSI_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
if env_bool("CSI_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "csi.views.csrf_failure"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Email ------------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "csi-workbench@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks -------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Logging ----------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A refusal (403) is one line naming who, what and why, not a traceback: tracebacks mean real errors.
    "filters": {"one_line_refusals": {"()": "csi.core.logs.OneLineRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CSI_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["one_line_refusals"]},
        "django.security.csrf": {"filters": ["one_line_refusals"]},
    },
}

# --- API --------------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 200
# The largest data file the import endpoint takes; a larger upload is refused before it is read.
CSI_MAX_UPLOAD_BYTES = int(os.environ.get("CSI_MAX_UPLOAD_BYTES") or 2 * 1024**3)
# What an imported archive (a zip holding the data file, an XLSX workbook) or compressed file (gzip, bzip2,
# xz) may expand to, and by how many times its compressed size: checked while it is read, so a bomb stops
# at the bound (README, Measures).
CSI_MAX_UNZIPPED_BYTES = int(os.environ.get("CSI_MAX_UNZIPPED_BYTES") or 8 * 1024**3)
CSI_MAX_ZIP_RATIO = float(os.environ.get("CSI_MAX_ZIP_RATIO") or 100)
# Bodies other than multipart uploads: the largest the API reads (a larger one is refused with 413
# before it is read) and how deep JSON arrays and objects may nest (checked without parsing or recursion).
CSI_API_MAX_BODY_BYTES = int(os.environ.get("CSI_API_MAX_BODY_BYTES") or 4 * 1024**2)
CSI_API_MAX_JSON_DEPTH = int(os.environ.get("CSI_API_MAX_JSON_DEPTH") or 32)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(CSI_API_MAX_BODY_BYTES, 2_621_440)

# --- Bounds on work ---------------------------------------------------------------------------------
# Instants a request may name (analytics windows, business time, standards' effective dates).
CSI_EARLIEST_YEAR = int(os.environ.get("CSI_EARLIEST_YEAR") or 1970)
CSI_LATEST_YEAR = int(os.environ.get("CSI_LATEST_YEAR") or 2100)
# The longest window an analytics query or a business-time calculation may span.
CSI_ANALYTICS_MAX_DAYS = int(os.environ.get("CSI_ANALYTICS_MAX_DAYS") or 5 * 366)
CSI_BUSINESS_TIME_MAX_DAYS = int(os.environ.get("CSI_BUSINESS_TIME_MAX_DAYS") or 3660)
# The most groups (rows) an analytics query may answer, and the seconds it may run before it is stopped
# and refused (the web server kills a request after 60 s).
CSI_ANALYTICS_MAX_GROUPS = int(os.environ.get("CSI_ANALYTICS_MAX_GROUPS") or 1000)
CSI_ANALYTICS_TIME_LIMIT_SECONDS = float(os.environ.get("CSI_ANALYTICS_TIME_LIMIT_SECONDS") or 10)
# How far ahead a standard's new version may take effect.
CSI_STANDARD_HORIZON_DAYS = int(os.environ.get("CSI_STANDARD_HORIZON_DAYS") or 5 * 366)
