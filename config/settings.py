"""Settings for Kardborre, read from the environment (django-environ).

With nothing set the project runs on the *embedded default*: an SQLite file and a
Celery broker on kombu's filesystem transport, both under ``var/``, so that a newcomer
needs no server. Production sets ``DATABASE_URL`` (PostgreSQL), ``CELERY_BROKER_URL``
(Redis), ``EMAIL_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DEBUG=False``.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("KARDBORRE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]"]),
)

DEBUG = env("DEBUG")
# The fallback key only exists so the embedded demo starts with nothing configured;
# production refuses to start without SECRET_KEY (see the check below).
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and env.bool("KARDBORRE_REQUIRE_SECRET_KEY", default=False):
        raise environ.ImproperlyConfigured("SECRET_KEY must be set in production")
    SECRET_KEY = "insecure-embedded-default-only-for-demo-and-tests"  # noqa: S105
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
    "django_filters",
    "axes",
    "viewflow",
    "viewflow.workflow",
    "coordination",
    "workflows",
    "workflows.discharge",
    "workflows.sip",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.SwedishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Listed explicitly (and AUTOREGISTER off) so the middleware stack is visible here.
    "viewflow.middleware.SiteMiddleware",
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
LOGIN_URL = "login"
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
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

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
    "sip-unanswered-at-meeting": {
        "task": "workflows.sip.tasks.record_unanswered_invitations",
        "schedule": 300.0,
    },
    "deviation-dashboards": {
        "task": "coordination.deviations.tasks.refresh_dashboards",
        "schedule": 600.0,
    },
    "deviation-late-answers": {
        "task": "coordination.deviations.tasks.remind_late_answers",
        "schedule": crontab(hour=7, minute=0),
    },
    "daily-digest": {
        "task": "notifications.tasks.send_daily_digests",
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
# The soft limit ends a task cleanly (SoftTimeLimitExceeded); the hard one kills it.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# Beat writes a heartbeat row every KARDBORRE_BEAT_HEARTBEAT_SECONDS; /health/ready fails
# when it is older than KARDBORRE_BEAT_MAX_AGE_SECONDS; beat logs an ERROR line when the
# last finished sweep is older than KARDBORRE_SWEEP_MAX_AGE_SECONDS.
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
# Answer time for a reported deviation: Göteborg's 60 days by default; Stockholm has none
# (set DEVIATION_ANSWER_DAYS=0 for no answer deadline).
DEVIATION_ANSWER_DAYS = env.int("DEVIATION_ANSWER_DAYS", default=60) or None
DEVIATION_DASHBOARD_MAX_AGE_SECONDS = env.int("DEVIATION_DASHBOARD_MAX_AGE_SECONDS", default=900)

# Production sign-in: OpenID Connect against the regional IdP (SITHS identities), enabled
# when OIDC_RP_CLIENT_ID is set. Django's own login stays for the demo and tests.
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
if OIDC_RP_CLIENT_ID:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.insert(1, "coordination.oidc.SithsOIDCBackend")
    OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT")
    OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
    OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", default="openid profile email")
    OIDC_HSA_ID_CLAIM = env("OIDC_HSA_ID_CLAIM", default="hsa_id")
    LOGIN_REDIRECT_URL_FAILURE = "/konto/login/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

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
