"""Settings for Kardborre, read from the environment (django-environ).

With nothing set the project runs on the *embedded default*: an SQLite file and a
Celery broker on kombu's filesystem transport, both under ``var/``, so that a newcomer
needs no server. Production sets ``DATABASE_URL`` (PostgreSQL), ``CELERY_BROKER_URL``
(Redis), ``EMAIL_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DEBUG=False``.
"""

import datetime as dt
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from django_guid.integrations import CeleryIntegration

from config.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("KARDBORRE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]"]),
)

DEBUG = env("DEBUG")


def secret(name, *, demo_value=None):
    """The secret ``name`` from the environment; fails closed.

    Without the variable, only a development run (``DEBUG=true``) gets ``demo_value``;
    anything else refuses to start with a message naming the variable, so that a
    deployment can never run on a key that is public in this repository.
    """
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG and demo_value is not None:
        return demo_value
    hint = (
        "only a development run with DEBUG=true may start without it"
        if demo_value is not None
        else "there is no default"
    )
    raise ImproperlyConfigured(f"{name} is not set: set {name} in the environment ({hint}).")


SECRET_KEY = secret("SECRET_KEY", demo_value="insecure-demo-key-only-with-debug")  # noqa: S106
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_guid",
    "django_filters",
    "axes",
    "viewflow",
    "viewflow.workflow",
    "coordination",
    "workflows",
    "workflows.discharge",
    "workflows.sip",
    "workflows.deviations",
    "notifications",
    "oversight",
    "ninja",  # its static Swagger UI for /api/v1/docs (no CDN, within the CSP)
    "api",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id (config/logging.py).
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from gunicorn itself (compressed, hashed names, cached for ever).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.SwedishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login; a logged-out visitor is sent to LOGIN_URL with ?next=.
    # Public exceptions carry @login_not_required: the login page, the language
    # switch and the signed one-click acknowledgement link (config/urls.py).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "config.logging.RequestUserMiddleware",
    "config.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Listed explicitly (and AUTOREGISTER off) so the middleware stack is visible here.
    "viewflow.middleware.SiteMiddleware",
    # After the login check: a viewflow page of a case the user may not see is a 404.
    "config.middleware.CaseAccessMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]
VIEWFLOW = {"AUTOREGISTER": False}

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "coordination.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kardborre.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Behind PgBouncer in transaction pooling a connection changes server between
    # transactions: no server-side cursors, no prepared statements (docs/deploy.md).
    if env.bool("DATABASE_PGBOUNCER", default=False):
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded demo: web, worker and beat write one file. WAL lets readers and one
    # writer work at once; a writer takes the lock when its transaction starts
    # (IMMEDIATE) and waits up to 20 s for it instead of failing "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses logins for a locked-out username + address.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "coordination.backends.OrganisationMembershipBackend",
]
LOGIN_URL = "/konto/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
# locale/viewflow holds Swedish for viewflow's own frontend strings (it ships none).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "viewflow"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns at start-up when missing
# Production: whitenoise serves what `collectstatic` wrote, compressed and under hashed
# names. The demo (DEBUG) and the tests (tests/conftest.py) use the files as they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "config.storage.StaticFilesStorage"
    },
}

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Kardborre <noreply@kardborre.local>")
# Absolute base for links in emails (emails are sent by workers, outside any request).
SITE_URL = env("SITE_URL", default="http://localhost:8000")
# A hung SMTP server must not hold a worker (and an outbox claim) forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=8)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.int("NOTIFICATIONS_RETRY_BASE_SECONDS", default=60)
NOTIFICATIONS_MESSAGE_ID_DOMAIN = env("NOTIFICATIONS_MESSAGE_ID_DOMAIN", default="kardborre.local")

# --- Celery -------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport under var/, no server needed.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Redis: a task in flight on a killed worker is redelivered after this timeout;
    # it must exceed the hard time limit so a slow task is never run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    if CELERY_BROKER_URL.startswith("redis://"):
        # kombu's Redis transport with the fix that keeps a worker alive when Redis goes
        # away mid-task (config/broker.py).
        CELERY_BROKER_TRANSPORT = "config.broker:Transport"
    # Redis Sentinel (CELERY_BROKER_URL=sentinel://host1:26379;sentinel://host2:26379)
    # needs the master's name; any other kombu option comes as JSON and is merged.
    if env("CELERY_BROKER_SENTINEL_MASTER", default=""):
        CELERY_BROKER_TRANSPORT_OPTIONS["master_name"] = env("CELERY_BROKER_SENTINEL_MASTER")
    CELERY_BROKER_TRANSPORT_OPTIONS.update(env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={}))
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # One beat process in production (README): the sweep is the only timer.
    "sweep-deadlines": {
        "task": "workflows.tasks.sweep_deadlines",
        "schedule": env.float("KARDBORRE_SWEEP_PERIOD_SECONDS", default=60.0),
    },
    # Safety net of the outbox: retries after backoff, rows whose worker died.
    "deliver-pending-emails": {
        "task": "notifications.tasks.deliver_pending",
        "schedule": env.float("KARDBORRE_SWEEP_PERIOD_SECONDS", default=60.0),
    },
    # Safety net of the webhook outbox (api.webhooks), like the one for email.
    "deliver-pending-webhooks": {
        "task": "api.tasks.deliver_pending_webhooks",
        "schedule": env.float("KARDBORRE_SWEEP_PERIOD_SECONDS", default=60.0),
    },
    "sip-unanswered-at-meeting": {
        "task": "workflows.sip.tasks.record_unanswered_invitations",
        "schedule": 300.0,
    },
    "deviation-late-answers": {
        "task": "workflows.deviations.tasks.remind_late_answers",
        "schedule": crontab(hour=7, minute=0),
    },
    "daily-digest": {
        "task": "workflows.tasks.send_daily_digests",
        "schedule": crontab(hour=6, minute=30),  # Europe/Stockholm (CELERY_TIMEZONE)
    },
}

# --- Reliability: leases, time limits, heartbeats, health and metrics (README) --------
# Outbox delivery (notifications.services): a claimed row whose sender died is taken
# over after the lease; a live sender renews it every third of it, so it only has to
# exceed EMAIL_TIMEOUT (one message). Recovery after a crash: lease + one beat period.
NOTIFICATIONS_SENDING_LEASE_SECONDS = env.int("NOTIFICATIONS_SENDING_LEASE_SECONDS", default=60)
NOTIFICATIONS_BATCH_SIZE = env.int("NOTIFICATIONS_BATCH_SIZE", default=100)
# One delivery task stops after this many rows or seconds and queues the next one.
NOTIFICATIONS_DELIVER_MAX_ROWS = env.int("NOTIFICATIONS_DELIVER_MAX_ROWS", default=2000)
NOTIFICATIONS_DELIVER_MAX_SECONDS = env.float("NOTIFICATIONS_DELIVER_MAX_SECONDS", default=120)
# Webhooks (api.webhooks) share the outbox settings above; one POST waits at most this.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10)
# Subscriber addresses on loopback or internal networks (and plain http) are refused
# unless DEBUG or this is set: only for a receiver on one's own machine (tests, demo).
KARDBORRE_WEBHOOK_ALLOW_PRIVATE = env.bool("KARDBORRE_WEBHOOK_ALLOW_PRIVATE", default=False)
# The soft limit ends a task cleanly (SoftTimeLimitExceeded); the hard one kills it.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# Beat writes a heartbeat row every KARDBORRE_BEAT_HEARTBEAT_SECONDS; /health/ready fails
# when it is older than KARDBORRE_BEAT_MAX_AGE_SECONDS; beat logs an ERROR line when the
# last finished sweep is older than KARDBORRE_SWEEP_MAX_AGE_SECONDS.
# Due deadlines one sweep transaction claims (FOR UPDATE SKIP LOCKED) and writes: a large
# batch writes a backlog in few transactions (bench/SWEEP.md); a step meeting a deadline of
# the batch waits for it to commit (about 0.1 ms per row of the batch).
KARDBORRE_SWEEP_BATCH_SIZE = env.int("KARDBORRE_SWEEP_BATCH_SIZE", default=10000)
KARDBORRE_BEAT_HEARTBEAT_SECONDS = env.float("KARDBORRE_BEAT_HEARTBEAT_SECONDS", default=30)
KARDBORRE_BEAT_MAX_AGE_SECONDS = env.int("KARDBORRE_BEAT_MAX_AGE_SECONDS", default=180)
KARDBORRE_SWEEP_MAX_AGE_SECONDS = env.int("KARDBORRE_SWEEP_MAX_AGE_SECONDS", default=180)
CELERY_BEAT_SCHEDULER = "workflows.beat.HeartbeatScheduler"
# /metrics (Prometheus) answers a request carrying "Authorization: Bearer <METRICS_TOKEN>"
# or coming from one of METRICS_ALLOWED_NETWORKS (CIDR list); with neither set, nobody.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
MIDDLEWARE.insert(0, "config.metrics.RequestLatencyMiddleware")
# Bad input never 500s: axes stores the username in a 255-character column.
AXES_USERNAME_CALLABLE = "config.forms.axes_username"

# Process parameters (DOMAIN.md): none of them is set by law, so they are configuration.
SIP_INVITATION_RESPONSE_HOURS = env.int("SIP_INVITATION_RESPONSE_HOURS", default=48)
SIP_ACK_LINK_DAYS = env.int("SIP_ACK_LINK_DAYS", default=14)
# Plausible admission times: not later than now plus a small clock skew, and not more
# than this many days back without a recorded reason for the late registration.
DISCHARGE_ADMISSION_MAX_AGE_DAYS = env.int("DISCHARGE_ADMISSION_MAX_AGE_DAYS", default=7)
DISCHARGE_CLOCK_SKEW_MINUTES = env.int("DISCHARGE_CLOCK_SKEW_MINUTES", default=5)
# Answer time for a reported deviation: Göteborg's 60 days by default; Stockholm has none
# (set DEVIATION_ANSWER_DAYS=0 for no answer deadline).
DEVIATION_ANSWER_DAYS = env.int("DEVIATION_ANSWER_DAYS", default=60) or None

# Office hours (local Stockholm time, office days: weekdays that are neither public
# holidays nor midsommarafton, julafton, nyårsafton): reminders and escalations falling
# outside them are held until the next opening, unless the deadline runs in calendar
# hours by law (workflows/escalation.py). "off" holds nothing (round-the-clock staff).
_office_hours = env("KARDBORRE_OFFICE_HOURS", default="08:00-17:00")
KARDBORRE_OFFICE_HOURS = (
    None
    if _office_hours.strip().lower() == "off"
    else tuple(dt.time.fromisoformat(part.strip()) for part in _office_hours.split("-", 1))
)
# Local deadlines that neither LUS nor the Stockholm agreement sets (the registry marks
# them local=True): opened only when listed here, off by default. The demo (DEBUG)
# turns both on so that its cases show their reminders.
KARDBORRE_LOCAL_DEADLINES = env.list(
    "KARDBORRE_LOCAL_DEADLINES",
    default=["INSKRIVNING_ACK", "UTSKRIVNINGSKLAR_ACK"] if DEBUG else [],
)

# From this age a child's own view of a SIP is recorded with the guardians' consent
# (SoL 11 kap. 10 §: from 15 a child has its own say).
KARDBORRE_CHILD_VIEW_AGE = env.int("KARDBORRE_CHILD_VIEW_AGE", default=15)

# The population register the registration page asks (coordination/population.py): a
# dotted path to a backend class; empty: none, the person is entered by hand. The demo
# (DEBUG) uses the made-up register.
KARDBORRE_POPULATION_REGISTER = env(
    "KARDBORRE_POPULATION_REGISTER",
    default="coordination.population.DemoPopulationRegister" if DEBUG else "",
)

# REST API for systems (api/): requests per client and minute (0: no limit), counted
# in this cache (a shared one, e.g. Redis, when several web processes serve the API).
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)
API_RATE_LIMIT_CACHE = env("API_RATE_LIMIT_CACHE", default="default")
# GetCarePlans (api/getcareplans.py): this system's HSA id as the plans' source system.
RIV_SOURCE_SYSTEM_HSA_ID = env("RIV_SOURCE_SYSTEM_HSA_ID", default="SE0000000000-KARDBORRE")

# --- Sign-in with SITHS (OpenID Connect) --------------------------------------------
# Production sign-in through the regional IdP, enabled when OIDC_RP_CLIENT_ID is set
# (coordination/oidc.py). Django's own login stays for the demo and tests.
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_OP_LOGOUT_ENDPOINT = env("OIDC_OP_LOGOUT_ENDPOINT", default="")
OIDC_OP_ISSUER = env("OIDC_OP_ISSUER", default="")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", default="openid profile email")
OIDC_HSA_ID_CLAIM = env("OIDC_HSA_ID_CLAIM", default="hsa_id")
OIDC_UNIT_HSA_ID_CLAIM = env("OIDC_UNIT_HSA_ID_CLAIM", default="")
OIDC_ACCEPTED_ACR = env.list("OIDC_ACCEPTED_ACR", default=[])
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the logout at the IdP
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)
OIDC_CREATE_USER = True  # a user row without memberships: an administrator grants access
OIDC_AUTHENTICATE_CLASS = "coordination.oidc.SithsAuthenticationRequestView"
OIDC_CALLBACK_CLASS = "coordination.oidc.SithsCallbackView"
LOGIN_REDIRECT_URL_FAILURE = "/konto/login/"
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.insert(1, "coordination.oidc.SithsOIDCBackend")
    # No demo value: an OIDC client secret is never guessable, not even with DEBUG=true.
    OIDC_RP_CLIENT_SECRET = secret("OIDC_RP_CLIENT_SECRET")

# --- Logs ---------------------------------------------------------------------------
# JSON lines with request id and user id (config/logging.py); LOG_FORMAT=plain for reading
# by eye. Personnummer never belong in a log line; a filter masks any that slip through.
LOGGING = logging_config(
    level=env("LOG_LEVEL", default="INFO"),
    json=env("LOG_FORMAT", default="plain" if DEBUG else "json") == "json",
)
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",  # what nginx and most load balancers send
    "VALIDATE_GUID": True,  # a made-up header is replaced, not logged
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
    # A task enqueued during a request logs with that request's id on the worker.
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=False, log_parent=False)],
}
# The PDF renderer reports every layout step at INFO.
LOGGING["loggers"].update({"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}})

# --- Security -----------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False  # the absolute lifetime is not renewed by activity
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
# Gallring (manage.py purge_expired_cases): years a finished case is kept, per record
# class. Sources and exemptions in coordination/retention.py (PDL 3 kap. 17 §, SoL 12 kap. 1 §).
RETENTION_YEARS = {
    "discharge": env.int("RETENTION_YEARS_DISCHARGE", default=10),
    "sip": env.int("RETENTION_YEARS_SIP", default=5),
}
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# django-axes: lock out a username + address after repeated failures (ASVS 6.3.1).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# --- Behind a proxy -----------------------------------------------------------------
# How many proxies of our own stand between the client and gunicorn (TLS terminator, load
# balancer, ...). The client address is taken that many hops back in X-Forwarded-For, so a
# forged header cannot change what the access log and the lockout see (coordination/client_ip.py).
KARDBORRE_TRUSTED_PROXIES = env.int("KARDBORRE_TRUSTED_PROXIES", default=0)
AXES_CLIENT_IP_CALLABLE = "coordination.client_ip.client_ip"

# Content Security Policy (django-csp): only our own origin; inline style attributes are
# used by the viewflow Material frontend, inline scripts are not allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and env.bool("KARDBORRE_HTTPS", default=False):
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
