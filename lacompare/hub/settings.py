"""Django settings of the returns hub, read from environment variables.

Only the hub's own entry points (``lacompare hub ...``, ``lacompare.hub.wsgi``) load
these settings; the rest of lacompare never imports Django. Every value has a safe
default for local use:

``LACOMPARE_HUB_DATABASE_URL``
    PostgreSQL URL (default ``postgresql://lacompare:lacompare@127.0.0.1:5432/lacompare_hub``,
    what ``.ci/start-postgres`` creates).
``LACOMPARE_HUB_SECRET_KEY``
    Signing key; without it a random key is made per process (sessions then end on
    restart), so set it for any real deployment.
``LACOMPARE_HUB_DEBUG``
    ``1`` for Django's debug pages (never in production).
``LACOMPARE_HUB_ALLOWED_HOSTS``
    Comma-separated host names (default ``127.0.0.1,localhost``).
``LACOMPARE_HUB_EMAIL_HOST`` / ``LACOMPARE_HUB_EMAIL_PORT``
    SMTP server for reminders, receipts, invitations and password resets (no
    default: without a host the hub sends no mail and says so in one line; port 25).
``LACOMPARE_HUB_EMAIL_USER`` / ``_EMAIL_PASSWORD`` / ``_EMAIL_TLS``
    Login to the SMTP server, and ``1`` for STARTTLS.
``LACOMPARE_HUB_FROM_EMAIL``
    Sender of the hub's emails.
``LACOMPARE_HUB_URL``
    The hub's address as services reach it (e.g. ``https://returns.example.org``):
    every email links to it. Without it, pages use the address they were opened at
    and the command line refuses to send.
``LACOMPARE_HUB_CONTACT``
    The network's contact, named in every email (e.g. ``Sam Lee, 020 7946 0000,
    returns@network.example``; default: the sender's address).
``LACOMPARE_HUB_INVITE_DAYS``
    How long an invitation's link works (default 14 days; a password reset's link
    works for a day).
``LACOMPARE_HUB_SECURE``
    ``1`` behind HTTPS: secure cookies, HSTS and redirect to HTTPS.
``LACOMPARE_HUB_SESSION_SECONDS``
    Idle session lifetime (default 8 hours).
``LACOMPARE_HUB_LOGIN_ATTEMPTS`` / ``LACOMPARE_HUB_LOGIN_WINDOW``
    Failed logins allowed per user name and address in the window (seconds) before
    logging in is refused (default 5 in 900 s).
``LACOMPARE_HUB_LOGIN_ADDRESS_ATTEMPTS``
    Failed logins allowed from one address in the window, whatever the user name,
    against password spraying (default 20: an office behind one address can still
    mistype).
``LACOMPARE_HUB_PROXIES``
    How many reverse proxies in front of the hub append the client's address to
    ``X-Forwarded-For`` (default 0: the header is ignored and the address is the
    connection's, as anyone can write the header). Set it when behind one, or every
    login counts against the proxy's address.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "postgresql://lacompare:lacompare@127.0.0.1:5432/lacompare_hub"


def read_database_url(url: str) -> dict[str, object]:
    """Django's DATABASES entry for a ``postgresql://user:pass@host:port/name`` URL.

    Examples
    --------
    >>> db = read_database_url("postgresql://u:p%40ss@db.local:5433/hub")
    >>> db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]
    ('hub', 'u', 'p@ss', 'db.local', '5433')
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(
            f"LACOMPARE_HUB_DATABASE_URL must be a postgresql:// URL, not "
            f"{parts.scheme or url!r}"
        )
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # One connection per worker thread, reused: saves a handshake per request.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "ATOMIC_REQUESTS": False,
    }


def _env(name: str, default: str) -> str:
    return os.environ.get(f"LACOMPARE_HUB_{name}", default)


def _flag(name: str) -> bool:
    return _env(name, "0").lower() in ("1", "true", "yes")


BASE_APP = "lacompare.hub.returns"
SECRET_KEY = _env("SECRET_KEY", "") or secrets.token_urlsafe(50)
DEBUG = _flag("DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in _env("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    BASE_APP,
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (GOV.UK Frontend, the hub's CSS and scripts) are public and served
    # before the login check, so the login page is styled too.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lacompare.hub.returns.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lacompare.hub.returns.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "lacompare.hub.urls"
WSGI_APPLICATION = "lacompare.hub.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": read_database_url(_env("DATABASE_URL", DEFAULT_DATABASE_URL))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
LOGIN_ATTEMPTS = int(_env("LOGIN_ATTEMPTS", "5"))
LOGIN_WINDOW_SECONDS = int(_env("LOGIN_WINDOW", "900"))
LOGIN_ADDRESS_ATTEMPTS = int(_env("LOGIN_ADDRESS_ATTEMPTS", "20"))
LOGIN_PROXIES = int(_env("PROXIES", "0"))

SESSION_COOKIE_AGE = int(_env("SESSION_SECONDS", str(8 * 3600)))
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: idle expiry
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE = _flag("SECURE")
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Uploads: held in memory up to the limit and refused beyond it (before parsing).
HUB_MAX_UPLOAD_BYTES = int(_env("MAX_UPLOAD_BYTES", "1000000"))
FILE_UPLOAD_MAX_MEMORY_SIZE = HUB_MAX_UPLOAD_BYTES + 65536
DATA_UPLOAD_MAX_MEMORY_SIZE = HUB_MAX_UPLOAD_BYTES + 65536
DATA_UPLOAD_MAX_NUMBER_FIELDS = 400

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = _env("EMAIL_HOST", "")
EMAIL_PORT = int(_env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = _env("EMAIL_USER", "")
EMAIL_HOST_PASSWORD = _env("EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _flag("EMAIL_TLS")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = _env("FROM_EMAIL", "returns-hub@localhost")
HUB_URL = _env("URL", "").rstrip("/")
HUB_CONTACT = _env("CONTACT", "")
HUB_INVITE_SECONDS = int(_env("INVITE_DAYS", "14")) * 86400
PASSWORD_RESET_TIMEOUT = 86400

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True
STATIC_URL = "/static/"
# Served by WhiteNoise straight from the package's static directory (no
# collectstatic step): lacompare/hub/returns/static/, with GOV.UK Frontend vendored
# in govuk/ (see its PROVENANCE.md).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}


def settings_dict() -> dict[str, object]:
    """These settings as a dict, for ``django.conf.settings.configure``.

    Examples
    --------
    >>> settings_dict()["ROOT_URLCONF"]
    'lacompare.hub.urls'
    """
    return {k: v for k, v in globals().items() if k.isupper()}
