"""Base settings: run with no environment at all (the embedded default).

SQLite in WAL mode, the in-memory channel layer, local-memory cache and the
console email backend. Every integration switches on by its URL: DATABASE_URL
(PostgreSQL), REDIS_URL (channel layer and cache), EMAIL_URL-like SMTP settings.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from .env import env, env_bool, env_list

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PACKAGE_DIR = BASE_DIR / "buergerbuero"

DEBUG = env_bool("DEBUG", True, "Show tracebacks. Never true in production.")
SECRET_KEY = env(
    "SECRET_KEY",
    "insecure-dev-key-only-for-the-embedded-default",
    "Cryptographic signing key. Production requires a long random value.",
)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]", "Comma-separated host names served."
)
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", "", "Comma-separated origins (https://buergerbuero.example.de)."
)

INSTALLED_APPS = [
    "modeltranslation",  # must precede django.contrib.admin
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "channels",
    "django_htmx",
    "buergerbuero.core",
    "buergerbuero.identity",
    "buergerbuero.organisation",
    "buergerbuero.catalog",
    "buergerbuero.pages",
    "buergerbuero.notifications",
    "buergerbuero.payments",
    "buergerbuero.applications",
    "buergerbuero.videooffice",
    "buergerbuero.tickets",
    "buergerbuero.appointments",
    "buergerbuero.chat",
    "django_tasks",
    "django_tasks_db",
    # Staff: second factor (TOTP and one-time backup codes) and brute-force protection.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "buergerbuero.core.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Ends idle sessions, then keeps staff areas to (second-factor) staff logins.
    "buergerbuero.identity.staff.middleware.IdleSessionMiddleware",
    "buergerbuero.identity.staff.middleware.StaffAreaMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Turns a login refused for too many failures into the lockout page (status 429).
    "axes.middleware.AxesMiddleware",
    # Last: its 400 page still gets the language, CSP and frame headers of the layers above.
    "buergerbuero.core.middleware.BadRequestGuardMiddleware",
]

# The lockout check comes first: after too many failures no backend sees the password.
AUTHENTICATION_BACKENDS = [
    "buergerbuero.identity.staff.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "buergerbuero.urls"
ASGI_APPLICATION = "buergerbuero.asgi.application"
WSGI_APPLICATION = "buergerbuero.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "buergerbuero.core.context_processors.municipality",
                "buergerbuero.catalog.context_processors.catalog",
            ],
        },
    }
]
# Every form renders through the KERN templates in core/templates/kern/forms/.
FORM_RENDERER = "buergerbuero.core.forms.KernFormRenderer"

DATABASE_URL = env(
    "DATABASE_URL",
    f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
    "Database, e.g. postgres://user:pass@host:5432/buergerbuero. Default: SQLite in var/.",
)
# Connections are not kept per thread (CONN_MAX_AGE=0): under ASGI each request may run in
# another thread and per-thread connections pile up until PostgreSQL refuses new ones
# (measured: 97 idle connections from one process). PostgreSQL gets psycopg's pool instead.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
(BASE_DIR / "var" / "static").mkdir(parents=True, exist_ok=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE avoids lock upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": 1,
            "max_size": int(
                env("DATABASE_POOL_SIZE", "8", "PostgreSQL connections per process at most.") or 8
            ),
            "timeout": 10,
        }
    }
EMBEDDED_DEFAULT = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "identity.User"

REDIS_URL = env(
    "REDIS_URL", "", "Redis for the channel layer and the cache, e.g. redis://127.0.0.1:6379/0."
)
if REDIS_URL:
    # channels-redis with a bounded, blocking connection pool (core/channel_layers.py):
    # a burst of reconnecting pages waits for a connection instead of failing.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "buergerbuero.core.channel_layers.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "pool_size": 100, "pool_timeout": 10},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "bb",
        }
    }
else:
    # Channels' in-memory layer, its expiry pass run once a second rather than on every
    # message (core/channel_layers.py): one process only.
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "buergerbuero.core.channel_layers.InMemoryChannelLayer"}
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SITE_URL = env(
    "SITE_URL",
    "http://127.0.0.1:8000",
    "The public address of the portal, for links in emails and the QR codes on notices.",
)
APPLICATION_DRAFT_DAYS = int(
    env("APPLICATION_DRAFT_DAYS", "30", "Days an untouched draft application is kept.") or 30
)
APPLICATION_DRAFT_REMINDER_DAYS = int(
    env("APPLICATION_DRAFT_REMINDER_DAYS", "7", "Days before expiry a draft's owner is reminded.")
    or 7
)

PAYMENT_PROVIDER = env(
    "PAYMENT_PROVIDER",
    "test",
    "Online payment provider: test (built-in test page, no real money), xbezahldienste "
    "(docs/payments-xbezahldienste.md), epaybl (an adapter slot; see the same document).",
)
PAYMENT_REFERENCE_PREFIX = env(
    "PAYMENT_REFERENCE_PREFIX", "53", "First digits (1-6) of every Kassenzeichen made here."
)
# XBezahldienste (docs/payments-xbezahldienste.md): the service's API, the city's ids there,
# how we authenticate, and the shared secret of the signed status callbacks.
PAYMENT_CAMT_MAX_BYTES = int(
    env("PAYMENT_CAMT_MAX_BYTES", str(200 * 1024 * 1024), "Largest camt.053 file read, bytes.") or 0
)
XBEZAHLDIENSTE_URL = env("XBEZAHLDIENSTE_URL", "", "Base URL of the XBezahldienste API.")
XBEZAHLDIENSTE_ORIGINATOR_ID = env(
    "XBEZAHLDIENSTE_ORIGINATOR_ID", "", "XBezahldienste originatorId of the city."
)
XBEZAHLDIENSTE_ENDPOINT_ID = env(
    "XBEZAHLDIENSTE_ENDPOINT_ID", "", "XBezahldienste endPointId (the city's account there)."
)
XBEZAHLDIENSTE_TOKEN_URL = env(
    "XBEZAHLDIENSTE_TOKEN_URL", "", "OAuth2 token URL (client credentials); empty: Basic auth."
)
XBEZAHLDIENSTE_CLIENT_ID = env("XBEZAHLDIENSTE_CLIENT_ID", "", "OAuth2 or Basic auth user.")
XBEZAHLDIENSTE_CLIENT_SECRET = env(
    "XBEZAHLDIENSTE_CLIENT_SECRET", "", "OAuth2 client secret or Basic auth password."
)
XBEZAHLDIENSTE_CLIENT_CERT = env(
    "XBEZAHLDIENSTE_CLIENT_CERT", "", "PEM file with client certificate and key (mutual TLS)."
)
XBEZAHLDIENSTE_CALLBACK_SECRET = env(
    "XBEZAHLDIENSTE_CALLBACK_SECRET",
    "",
    "Shared secret of the signed status callbacks; empty: callbacks off, status polled.",
)
XBEZAHLDIENSTE_TIMEOUT = env("XBEZAHLDIENSTE_TIMEOUT", "10", "Seconds to wait for the API.")

LOGIN_URL = "identity:login"
LOGIN_REDIRECT_URL = "applications:my_office"
LOGOUT_REDIRECT_URL = "catalog:home"

# Background work (emails, reminders, retention) goes through Django's Tasks API. The
# embedded default keeps the queue in the database and `make run` starts a worker beside
# the web server; "immediate" runs a task in the enqueuing process (tests, single scripts).
TASKS_BACKEND = env(
    "TASKS_BACKEND", "database", "Where background tasks run: database (worker) or immediate."
)
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[TASKS_BACKEND]
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "de"
# Each language is named in itself (an endonym), so that a reader finds their own.
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
MODELTRANSLATION_DEFAULT_LANGUAGE = "de"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("de",)
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media"), "Uploaded files.") or "")
PRIVATE_ROOT = Path(
    env(
        "PRIVATE_ROOT",
        str(BASE_DIR / "var" / "private"),
        "Citizens' documents (uploads, receipts, notices). Never served by a web server: only "
        "through the app, which checks who asks and writes the access log.",
    )
    or ""
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # The case file's documents: outside MEDIA_ROOT, without a public URL.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Media files (sign-language videos) are public assets of the city: whitenoise does not
# serve them, so the ASGI app serves MEDIA_URL itself in the embedded default (see urls.py)
# and nginx does in production (deploy/nginx.conf).
WHITENOISE_USE_FINDERS = DEBUG  # serve static files without collectstatic in development
SERVE_MEDIA = env_bool("SERVE_MEDIA", True, "Serve MEDIA_URL from the app (off behind nginx).")
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Uploads stream to temporary files in 64 KiB chunks and stop at the limit (see
# core/upload_handlers.py and bench/upload_memory.py for what this keeps in memory).
FILE_UPLOAD_MAX_MEMORY_SIZE = 65_536
FILE_UPLOAD_HANDLERS = ["buergerbuero.core.upload_handlers.SizeLimitedUploadHandler"]
DATA_UPLOAD_MAX_NUMBER_FILES = 20
UPLOAD_MAX_BYTES = int(
    env(
        "UPLOAD_MAX_BYTES",
        str(10 * 2**20),
        "Largest file a citizen may upload, in bytes (default 10 MiB). Larger files are "
        "dropped while they stream in and the form says how large they may be.",
    )
    or 10 * 2**20
)
UPLOAD_STAFF_MAX_BYTES = int(
    env(
        "UPLOAD_STAFF_MAX_BYTES",
        str(200 * 2**20),
        "Largest file staff may upload (sign-language videos, logos), in bytes (default "
        "200 MiB). nginx's client_max_body_size must be at least this large.",
    )
    or 200 * 2**20
)
UPLOAD_IMAGE_MAX_SIDE = int(
    env(
        "UPLOAD_IMAGE_MAX_SIDE",
        "2500",
        "Uploaded images are scaled down so that their long side has at most this many pixels.",
    )
    or 2500
)
UPLOAD_IMAGE_MAX_PIXELS = int(
    env(
        "UPLOAD_IMAGE_MAX_PIXELS",
        "50000000",
        "Images with more pixels are refused before they are decoded (decompression bombs); "
        "50 million lets 48-megapixel phone photos through.",
    )
    or 50_000_000
)
CLAMAV_URL = env(
    "CLAMAV_URL",
    "",
    "clamd for the virus scan of uploads: unix:///run/clamav/clamd.ctl or "
    "tcp://127.0.0.1:3310. Empty: no scan. When set and clamd does not answer, uploads are "
    "refused.",
)

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend",
    "Django email backend; production: django.core.mail.backends.smtp.EmailBackend.",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost", "SMTP host.")
EMAIL_PORT = int(env("EMAIL_PORT", "25", "SMTP port.") or 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "", "SMTP user.")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "", "SMTP password.")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False, "STARTTLS for SMTP.")
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "10", "Seconds before an SMTP connection gives up.") or 10)
EMAIL_MAX_ATTEMPTS = int(
    env(
        "EMAIL_MAX_ATTEMPTS",
        "5",
        "Attempts to deliver an email before it is marked failed (then resend it in the admin).",
    )
    or 5
)
EMAIL_RETRY_DELAY = int(
    env(
        "EMAIL_RETRY_DELAY",
        "300",
        "Seconds before the second delivery attempt of an email; each further wait doubles.",
    )
    or 300
)
DEFAULT_FROM_EMAIL = env(
    "DEFAULT_FROM_EMAIL", "buergerbuero@localhost", "Sender of every email the product sends."
)

# Content-Security-Policy: nothing from other origins, no inline script.
# Inline <style> for the city's brand colours carries a per-request nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "media-src": [SELF],
        "font-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOG_LEVEL = env("LOG_LEVEL", "INFO", "Level of the product's own log lines.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"buergerbuero": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False}},
}

# The embedded default loads the Stadt Köln demo data and demo accounts; production never does.
DEMO_MODE = env_bool(
    "DEMO_MODE", EMBEDDED_DEFAULT, "Allow demo accounts (only on the embedded SQLite default)."
)

# Each area keeps its settings in its own module.
from .accounts import *  # noqa: E402, F403
from .appointments import *  # noqa: E402, F403
from .chat import *  # noqa: E402, F403
from .chat_llm import *  # noqa: E402, F403
from .oidc import *  # noqa: E402, F403
from .proof_of_work import *  # noqa: E402, F403
from .saml import *  # noqa: E402, F403
from .sms import *  # noqa: E402, F403
from .staff import *  # noqa: E402, F403
from .tickets import *  # noqa: E402, F403
from .videooffice import *  # noqa: E402, F403
from .zbp import *  # noqa: E402, F403
