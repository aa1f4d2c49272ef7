"""Otagaisama settings: one module, every choice driven by the environment.

No variables set = the embedded default (SQLite, locmem cache, console email, Celery eager), made for
`make run` on a laptop. `DATABASE_URL` / `REDIS_URL` switch to the real stack; `DJANGO_DEBUG=0` turns on
the production flags so that `manage.py check --deploy` is clean. Every variable is listed in README.md.
"""

import sys
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# DEBUG is on only when asked (DJANGO_DEBUG=1) or on the embedded default (no DATABASE_URL): a server
# given a real database but no DJANGO_DEBUG runs with the production flags, never with debug pages.
DEBUG = env.bool("DJANGO_DEBUG", default=not env.str("DATABASE_URL", default=""))

# A development key only ever used with DEBUG on; production refuses to start without SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="") or (
    "django-insecure-otagaisama-development-key-never-use-in-production" if DEBUG else ""
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (DJANGO_DEBUG=0, or DATABASE_URL without DJANGO_DEBUG=1)"
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The address `make run` serves (runserver 127.0.0.1:8000), so links in its emails open the demo.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# LINE has two channels: a LINE Login channel ("LINE でログイン", which gives allauth the person's LINE
# user id) and a Messaging API channel (the official account that pushes notifications). Both must belong
# to the same LINE provider, or the user id from the login is unknown to the messaging channel. The login
# keys' older names LINE_CHANNEL_ID / LINE_CHANNEL_SECRET are still read.
LINE_LOGIN_CHANNEL_ID = env.str("LINE_LOGIN_CHANNEL_ID", default="") or env.str(
    "LINE_CHANNEL_ID", default=""
)
LINE_LOGIN_CHANNEL_SECRET = env.str("LINE_LOGIN_CHANNEL_SECRET", default="") or env.str(
    "LINE_CHANNEL_SECRET", default=""
)
LINE_LOGIN_ENABLED = bool(LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET)
# The Messaging API: without an access token nothing is pushed and every message goes by email.
LINE_CHANNEL_ACCESS_TOKEN = env.str("LINE_CHANNEL_ACCESS_TOKEN", default="")
LINE_API_BASE_URL = env.str("LINE_API_BASE_URL", default="https://api.line.me")
# Seconds one push may take; like EMAIL_TIMEOUT, far below the outbox's five-minute claim lease.
LINE_API_TIMEOUT = env.float("LINE_API_TIMEOUT", default=10.0)
# The official account's "add friend" link (https://line.me/R/ti/p/@...): LINE delivers pushes only to
# its friends, so the preferences page offers it to people who choose LINE.
LINE_ADD_FRIEND_URL = env.str("LINE_ADD_FRIEND_URL", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    *(["allauth.socialaccount.providers.line"] if LINE_LOGIN_ENABLED else []),
    "allauth.mfa",
    "axes",
    "django_htmx",
    "simple_history",
    "import_export",
    "django_celery_beat",
    "phonenumber_field",
    "accounts",
    "portal",
    "matching",
    "points",
    "notifications",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffMFARequiredMiddleware",
    "accounts.middleware.ConsentRequiredMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes last, as its docs require: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
FORM_RENDERER = "config.forms_renderer.FormRenderer"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections with a health check so that a restarted PostgreSQL costs one error, not many.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # psycopg prepares a statement only when asked (points.prepared, the credit path): Django's own
    # cursors bind on the client and are never prepared, and this threshold, which Django leaves at
    # None (no prepared statement at all, for the sake of transaction-pooling proxies), is never
    # reached. Behind PgBouncer, use 1.21 or newer (it handles protocol-level prepared statements).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = sys.maxsize
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
        "TEST_DATABASE_NAME", default="test_otagaisama"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if not IS_POSTGRES:
    # SQLite (the embedded default) builds points_lot_open without its INCLUDE column: the same index,
    # only not covering, which is all W040 says.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Cache, Celery --------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open: with Redis down, pages are served uncached and rate limits let requests
            # through (logged), see config/cache.py. Short socket timeouts so that an unreachable
            # Redis costs a request at most a second, once per outage window.
            "BACKEND": "config.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="otagaisama"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
# A request that enqueues a send after its commit must not hang on a broker that is down: give up
# quickly (the outbox row waits for the sweep, notifications.services.enqueue_delivery).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
# visibility_timeout: how long a task taken by a worker that then died (kill -9, a lost machine) waits in
# Redis before it is handed out again (acks_late). Kombu's default, an hour; the fault tests shorten it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TIMEZONE = "Asia/Tokyo"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # Due outbox rows are claimed by this sweep; see notifications/services.py.
    "notifications-deliver-due": {
        "task": "notifications.tasks.deliver_due",
        "schedule": 60.0,
    },
    # Selections past their deadline and waitlists past the start; see portal/services/undecided.py.
    "portal-close-undecided": {
        "task": "portal.tasks.close_undecided_due",
        "schedule": 300.0,
    },
    # Last month's 月次参加レポート of every municipality that has none yet; see reports/services.py.
    # Daily, not only on the 1st: a night the beat was down is caught up the next night.
    "reports-monthly-due": {
        "task": "reports.tasks.monthly_reports_due",
        "schedule": crontab(hour=2, minute=0),
    },
    # Staff's on-demand runs whose task never reached a worker, or whose worker was lost.
    "reports-runs-due": {
        "task": "reports.tasks.runs_due",
        "schedule": 300.0,
    },
    # Points: lost settle tasks and credits waiting for budget; expiry (warnings a month before).
    # See points/services.py.
    "points-retry-pending": {
        "task": "points.tasks.retry_pending",
        "schedule": 300.0,
    },
    "points-expire-due": {
        "task": "points.tasks.expire_due",
        "schedule": 600.0,
    },
    # Weekly digests of new programs, claimed per helper when due; see portal/services/matching.py.
    "portal-send-digests": {
        "task": "portal.tasks.send_digests_due",
        "schedule": 3600.0,
    },
    # See points/issuers.py.
    "points-push-due": {
        "task": "points.tasks.push_due",
        "schedule": 60.0,
    },
}

# --- Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "mypage"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
# ACCOUNT_PREVENT_ENUMERATION is left at allauth's default (on): signup with a registered email and a
# password reset for an unknown one answer exactly as for a new or known one, and the owner of the
# address is told by email instead (templates/account/email/account_already_exists_*).
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupExtraForm"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_DISPLAY = "accounts.selectors.user_display"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[お互いさま] "
# allauth's defaults made explicit, so a reviewer sees them: per IP and per key, "count/period".
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Otagaisama"

SOCIALACCOUNT_PROVIDERS = {}
if LINE_LOGIN_ENABLED:
    SOCIALACCOUNT_PROVIDERS["line"] = {
        "APPS": [{"client_id": LINE_LOGIN_CHANNEL_ID, "secret": LINE_LOGIN_CHANNEL_SECRET}],
        "SCOPE": ["profile", "openid", "email"],
    }

# Every sign-in, the admin's included (it is routed through allauth, see config/urls.py), is counted by
# Axes: after AXES_FAILURE_LIMIT failures for one email from one address, that pair is locked out for
# an hour, on top of allauth's per-minute rate limits.
AXES_ONLY_ADMIN_SITE = False
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.permissions.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

# --- I18N -----------------------------------------------------------------------------------------
LANGUAGE_CODE = "ja"
# Each language is named in itself, so a reader of either can find theirs.
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = "JP"

# --- Static and media -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collectstatic (development, tests) whitenoise serves straight from the static folders.
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
IMAGE_UPLOAD_MAX_BYTES = env.int("IMAGE_UPLOAD_MAX_BYTES", default=8 * 1024 * 1024)

# --- Email ----------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env.str(
    "EMAIL_FILE_PATH", default=str(BASE_DIR / "tmp-mail")
)  # file backend only
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="お互いさま <noreply@otagaisama.example.jp>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds one SMTP exchange may take. It must stay far below the outbox claim's lease
# (notifications.delivery.CLAIM_LEASE, 5 minutes), so a slow send is never taken over by a second worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# --- Maps -----------------------------------------------------------------------------------------
MAP_TILE_URL = env.str(
    "MAP_TILE_URL", default="https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
)
MAP_ATTRIBUTION = env.str(
    "MAP_ATTRIBUTION",
    default='<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>',
)

# --- Security -------------------------------------------------------------------------------------
# Same-origin scripts and styles only (htmx, the built Tailwind CSS); the map tiles are the one exception.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "https://cyberjapandata.gsi.go.jp"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF, *(["https://access.line.me"] if LINE_LOGIN_ENABLED else [])],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The health check is probed over plain HTTP by load balancers.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Matching (matching/, portal/selectors/matching.py) ---------------------------------------------
# Overrides of matching.engine.Weights, whose docstring documents each weight and its default.
MATCHING_WEIGHTS: dict[str, float] = {}
# How long a web process reuses its table of open sessions before reading them again. Recommendations
# are checked against the database before they are shown, so a stale table can only miss a new session.
MATCHING_TABLE_SECONDS = env.int("MATCHING_TABLE_SECONDS", default=300)
# Invitations and digests one helper may receive in 7 days, all senders together (no spam).
MATCHING_MESSAGES_PER_WEEK = env.int("MATCHING_MESSAGES_PER_WEEK", default=3)
