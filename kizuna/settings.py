"""Kizuna settings: everything that differs between machines comes from the environment.

Every variable is listed with its default in README.md's configuration table.
"""

import datetime
import ipaddress
import secrets
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from kizuna import i18n

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# What `make run` keeps on this machine: the SQLite file, the broker, the mailbox, passwords.
VAR_DIR = Path(env.str("KIZUNA_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # A development key kept out of the repository, stable across restarts of `make run`.
    key_file = VAR_DIR / "dev-secret-key"
    if not key_file.exists():
        VAR_DIR.mkdir(exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "kizuna.apps.KizunaAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "kizuna.apps.CeleryBeatConfig",
    "anymail",
    "simple_history",
    "django_otp",
    "kizuna.apps.TOTPDevicesConfig",
    "kizuna.apps.StaticDevicesConfig",
    "kizuna.apps.AxesConfig",
    "csp",
    "municipalities",
    "subscribers",
    "content",
    "delivery",
    "operations",
    "surveys",
    "urgent_notices",
    "adoption",
    "reports",
    "accounts",
    "reviews",
    "followups",
    "vaccinations",
    "audit",
    "checkups",
    "conversations",
    "line_accounts",
    "languages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every page Django renders: Cache-Control no-store, personal data never cached.
    "kizuna.caching.NoStoreMiddleware",
    # Django's, writing a session only when it changed or its idle expiry needs pushing on.
    "kizuna.sessions.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "languages.middleware.ParentLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Staff without a verified second factor reach only enrolment and verification.
    "accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "kizuna.security.StaffPagesCSPMiddleware",
    # The site's own Japanese error pages under DEBUG too (inside CSP, so they keep its header).
    "kizuna.errors.ErrorPagesMiddleware",
    # Records who made each change to texts and municipality settings (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Who looked at or changed what: staff requests, personal-data pages, exports.
    "audit.middleware.AuditMiddleware",
    # Last, as django-axes asks: locks out repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "kizuna.urls"
CSRF_FAILURE_VIEW = "kizuna.errors.csrf_failure"
WSGI_APPLICATION = "kizuna.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kizuna.sqlite3'}"),
}
# Persistent connections: a new PostgreSQL connection costs about as much as a parent page
# itself. The health check replaces one the server closed before a request uses it.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run`: the web server, the worker and beat write to one file at once. WAL lets
    # readers go on while one writes; IMMEDIATE takes the write lock when a transaction begins,
    # so a second writer waits for it (up to the timeout) instead of failing at once with
    # "database is locked" when a read inside its transaction turns into a write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=30),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
# Every language by its own name (the language switch shows them so); kizuna/i18n.py.
LANGUAGES = i18n.settings_languages()
i18n.install_lang_info()
LANGUAGE_COOKIE_NAME = "kizuna_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 default, opted into now

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# In production static files carry hashed names from `collectstatic` (scripts/start-web.sh and
# the Docker image run it). Started without it, the manifest is missing and every page using
# {% static %} would be a 500: then files are served from the source folders, unhashed
# (kizuna.staticfiles).
STATIC_COLLECTED = (STATIC_ROOT / "staticfiles.json").exists()
WHITENOISE_USE_FINDERS = DEBUG or not STATIC_COLLECTED
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "kizuna.staticfiles.ManifestOrSourceStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Mail: EMAIL_URL (smtp://…, consolemail://) or EMAIL_BACKEND=anymail.backends.<esp>.EmailBackend
# with ANYMAIL_* variables (ANYMAIL_POSTMARK_SERVER_TOKEN=… becomes ANYMAIL["POSTMARK_SERVER_TOKEN"]).
# With neither set and DEBUG on (`make run`), mail stays on this machine in a local mailbox
# (var/mailbox/), readable at /dev/mailbox/.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="kizuna.mailbox.MailboxBackend"
    if DEBUG and "EMAIL_URL" not in env.ENVIRON
    else _email["EMAIL_BACKEND"],
)
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kizuna <no-reply@localhost>")
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_")
}
if "REQUESTS_TIMEOUT" in ANYMAIL:  # seconds: requests wants a number, not the variable's text
    ANYMAIL["REQUESTS_TIMEOUT"] = env.float("ANYMAIL_REQUESTS_TIMEOUT")
# Old docomo/au addresses (taro..yamada.@docomo.ne.jp): as_typed, quoted or refused by the mail
# backend; blank takes kizuna.email_addresses' table (docs/carrier-addresses.md).
KIZUNA_OLD_CARRIER_ADDRESSES = env.str("KIZUNA_OLD_CARRIER_ADDRESSES", default="")

LINE_API_BASE_URL = env.str("LINE_API_BASE_URL", default="https://api.line.me").rstrip("/")
# Where LINE takes uploads (rich menu images); tests point both at the same loopback fake.
LINE_API_DATA_BASE_URL = env.str(
    "LINE_API_DATA_BASE_URL", default="https://api-data.line.me"
).rstrip("/")
LINE_TIMEOUT_SECONDS = env.float("LINE_TIMEOUT_SECONDS", default=15.0)

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport needing no server.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # worker pings from the dashboard
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat's planning tick has a queue of its own, served by a worker of its own (Procfile.dev,
# docker-compose.yml): a sending task runs until nothing is due, so a tick queued behind
# sending tasks would wait that long to plan a municipality whose delivery time has come.
# A worker started without -Q serves both queues.
CELERY_TASK_DEFAULT_QUEUE = "celery"
KIZUNA_PLANNING_QUEUE = "planning"
CELERY_TASK_QUEUES = [Queue(CELERY_TASK_DEFAULT_QUEUE), Queue(KIZUNA_PLANNING_QUEUE)]
CELERY_TASK_ROUTES = {"delivery.tasks.tick": {"queue": KIZUNA_PLANNING_QUEUE}}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE = {
    "plan-and-send": {"task": "delivery.tasks.tick", "schedule": 60.0},
    "count-deliveries": {"task": "delivery.tasks.recount_days", "schedule": 60.0},
    "forecast-deliveries": {
        "task": "delivery.tasks.refresh_forecast",
        "schedule": crontab(hour=1, minute=30),
    },
    "queue-urgent-notices": {
        "task": "urgent_notices.tasks.queue_due_urgent_notices",
        "schedule": 60.0,
    },
    "roll-up-deliveries": {
        "task": "delivery.tasks.roll_up_deliveries",
        "schedule": crontab(hour=4, minute=15),
    },
    "prune-audit-trail": {
        "task": "audit.tasks.prune_audit_trail",
        "schedule": crontab(hour=3, minute=45),
    },
    "relay-line-events": {"task": "line_accounts.tasks.relay_all_events", "schedule": 60.0},
    "switch-line-rich-menus": {
        "task": "line_accounts.tasks.switch_rich_menus",
        "schedule": crontab(hour=5, minute=10),
    },
    "renew-line-channel-tokens": {
        "task": "line_accounts.tasks.renew_channel_tokens",
        "schedule": crontab(minute=20),
    },
    "fetch-line-stage-insights": {
        "task": "line_accounts.tasks.fetch_stage_insights",
        "schedule": crontab(hour=6, minute=40),
    },
    "erase-unsubscribed-readers": {
        "task": "subscribers.tasks.erase_unsubscribed_readers",
        "schedule": crontab(hour=3, minute=15),
    },
    "followup-morning-mail": {
        "task": "followups.tasks.send_morning_mail",
        "schedule": crontab(hour=8, minute=0),
    },
    "erase-expired-followup-answers": {
        "task": "followups.tasks.erase_expired_answers",
        "schedule": crontab(hour=3, minute=30),
    },
}

# Domain settings.
KIZUNA_BIRTH_GRACE_DAYS = env.int("KIZUNA_BIRTH_GRACE_DAYS", default=15)
KIZUNA_CATCH_UP_DAYS = env.int("KIZUNA_CATCH_UP_DAYS", default=3)
# Medical review (reviews app): a new municipality sends only reviewed texts unless DEBUG is on;
# a text needs this many approvals, at least one from each group of fields listed
# ("physician" = 産婦人科医 or 小児科医), and is due for re-review after this many months.
KIZUNA_SEND_ONLY_REVIEWED_DEFAULT = env.bool("KIZUNA_SEND_ONLY_REVIEWED_DEFAULT", default=not DEBUG)
KIZUNA_REVIEW_APPROVALS = env.int("KIZUNA_REVIEW_APPROVALS", default=2)
KIZUNA_REVIEW_REQUIRED_FIELDS = env.list("KIZUNA_REVIEW_REQUIRED_FIELDS", default=["physician"])
KIZUNA_REVIEW_MAX_AGE_MONTHS = env.int("KIZUNA_REVIEW_MAX_AGE_MONTHS", default=12)
# Reader votes: a text's score shows from this many votes on; below the share of 「役に立った」
# (with at least that many votes) it goes back to the review queue.
KIZUNA_FEEDBACK_MIN_VOTES = env.int("KIZUNA_FEEDBACK_MIN_VOTES", default=5)
KIZUNA_FEEDBACK_THRESHOLD = env.float("KIZUNA_FEEDBACK_THRESHOLD", default=0.6)
# Days of delivery rows kept whole; older stage and birthday rows are rolled into the day counts
# (delivery.retention), so the table stays about this many days of sending. A sent row leaves a
# slim SentMessage record, kept for KIZUNA_SENT_HISTORY_DAYS.
KIZUNA_DELIVERY_KEEP_DAYS = env.int("KIZUNA_DELIVERY_KEEP_DAYS", default=7)
KIZUNA_SENT_HISTORY_DAYS = env.int("KIZUNA_SENT_HISTORY_DAYS", default=365)
KIZUNA_RETENTION_DAYS = env.int("KIZUNA_RETENTION_DAYS", default=30)
# LINE webhook event ids kept to drop redeliveries (LINE retries within a much shorter time).
KIZUNA_LINE_EVENT_KEEP_DAYS = env.int("KIZUNA_LINE_EVENT_KEEP_DAYS", default=7)
# Hours a signup or loss report begun in the LINE chat waits for the next tap before it lapses.
KIZUNA_LINE_CONVERSATION_HOURS = env.int("KIZUNA_LINE_CONVERSATION_HOURS", default=24)
# Seconds the other LINE tool has to answer an event relayed to it before it is tried again.
KIZUNA_LINE_RELAY_TIMEOUT_SECONDS = env.int("KIZUNA_LINE_RELAY_TIMEOUT_SECONDS", default=10)
# Signups (and accepted invitations) a client address may make an hour, and signups one
# address may receive: beyond either the page answers 429 and nothing is sent.
KIZUNA_SIGNUPS_PER_IP_PER_HOUR = env.int("KIZUNA_SIGNUPS_PER_IP_PER_HOUR", default=20)
KIZUNA_SIGNUPS_PER_ADDRESS_PER_HOUR = env.int("KIZUNA_SIGNUPS_PER_ADDRESS_PER_HOUR", default=3)
# A registration never confirmed (the link lasts 3 days) is deleted whole after this many days.
KIZUNA_UNCONFIRMED_DAYS = env.int("KIZUNA_UNCONFIRMED_DAYS", default=7)
KIZUNA_CLAIM_LEASE_SECONDS = env.int("KIZUNA_CLAIM_LEASE_SECONDS", default=600)
KIZUNA_DISPATCH_BATCH_SIZE = env.int("KIZUNA_DISPATCH_BATCH_SIZE", default=1000)
# Sending tasks each tick starts at most (each sends until nothing is due): about the worker
# processes of the deployment, so more machines need only this setting.
KIZUNA_DISPATCHERS_PER_TICK = env.int("KIZUNA_DISPATCHERS_PER_TICK", default=4)
# First wait after a transient failure; it doubles with each attempt (with jitter, capped at 6 h).
KIZUNA_RETRY_BACKOFF_SECONDS = env.float("KIZUNA_RETRY_BACKOFF_SECONDS", default=60.0)
# Requests per second every worker together keeps under: LINE allows 200 multicast and 2,000 push
# requests a second per channel (90 % of that by default); mail: the ESP account's sending rate
# (Amazon SES: the account's "maximum send rate"), 0 for no limit (an SMTP relay).
KIZUNA_LINE_MULTICAST_PER_SECOND = env.float("KIZUNA_LINE_MULTICAST_PER_SECOND", default=180.0)
KIZUNA_LINE_PUSH_PER_SECOND = env.float("KIZUNA_LINE_PUSH_PER_SECOND", default=1800.0)
KIZUNA_EMAIL_PER_SECOND = env.float("KIZUNA_EMAIL_PER_SECOND", default=0.0)
# Messages per request where the ESP has a batch API (Postmark: at most 500); 1 sends each
# message through django-anymail on its own.
KIZUNA_EMAIL_BATCH_SIZE = env.int("KIZUNA_EMAIL_BATCH_SIZE", default=500)
# Operations: what /healthz calls healthy, and where the dashboard links to Flower.
KIZUNA_HEALTH_TIMEOUT_SECONDS = env.float("KIZUNA_HEALTH_TIMEOUT_SECONDS", default=1.0)
KIZUNA_HEALTH_TICK_MAX_AGE_SECONDS = env.int("KIZUNA_HEALTH_TICK_MAX_AGE_SECONDS", default=300)
KIZUNA_HEALTH_BACKLOG_MAX = env.int("KIZUNA_HEALTH_BACKLOG_MAX", default=1_000_000)
KIZUNA_HEALTH_BACKLOG_MAX_AGE_SECONDS = env.int(
    "KIZUNA_HEALTH_BACKLOG_MAX_AGE_SECONDS", default=3600
)
# Each worker records a heartbeat this often; the dashboard counts those seen in three intervals.
KIZUNA_WORKER_HEARTBEAT_SECONDS = env.int("KIZUNA_WORKER_HEARTBEAT_SECONDS", default=30)
KIZUNA_FLOWER_URL = env.str("KIZUNA_FLOWER_URL", default="")
KIZUNA_PRIVACY_POLICY_VERSION = env.str("KIZUNA_PRIVACY_POLICY_VERSION", default="2026-04")
# The signup flyer's Japanese font (Debian's fonts-noto-cjk).
KIZUNA_FLYER_FONT = env.str(
    "KIZUNA_FLYER_FONT", default="/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
)
KIZUNA_FLYER_BOLD_FONT = env.str(
    "KIZUNA_FLYER_BOLD_FONT", default="/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
)
# Reader imports (/staff/adoption/): what an uploaded file may hold before it is refused, and
# how long the worker may spend on it. An .xlsx is a zip: a few hundred KB can unpack to GBs.
KIZUNA_IMPORT_MAX_BYTES = env.int("KIZUNA_IMPORT_MAX_BYTES", default=30 * 1024 * 1024)
KIZUNA_IMPORT_MAX_ROWS = env.int("KIZUNA_IMPORT_MAX_ROWS", default=200_000)
KIZUNA_IMPORT_MAX_CELLS = env.int("KIZUNA_IMPORT_MAX_CELLS", default=3_000_000)
KIZUNA_IMPORT_MAX_XLSX_BYTES = env.int("KIZUNA_IMPORT_MAX_XLSX_BYTES", default=200 * 1024 * 1024)
KIZUNA_IMPORT_TIME_LIMIT_SECONDS = env.int("KIZUNA_IMPORT_TIME_LIMIT_SECONDS", default=900)
# Reports (/staff/reports/): how the deployment backs up its database, as the procurement
# papers' security controls list states it (e.g. 「毎日暗号化して別の地域に保存、30日保持」).
KIZUNA_BACKUP_POLICY = env.str("KIZUNA_BACKUP_POLICY", default="")
# A second editor of the municipality approves each urgent notice before it goes.
KIZUNA_URGENT_APPROVAL_REQUIRED = env.bool("KIZUNA_URGENT_APPROVAL_REQUIRED", default=True)

# Staff accounts: a second factor (TOTP) for everyone who reaches the admin, the staff pages or
# the dashboard; lockout after repeated failures; sessions that end when left idle.
KIZUNA_REQUIRE_2FA = env.bool("KIZUNA_REQUIRE_2FA", default=True)
# A first authenticator: by the account itself only this long after it was created; later,
# through an enrolment link an operator creates (/ops/enrolment/), valid this long.
KIZUNA_ENROLMENT_WINDOW_HOURS = env.int("KIZUNA_ENROLMENT_WINDOW_HOURS", default=24)
KIZUNA_ENROLMENT_LINK_HOURS = env.int("KIZUNA_ENROLMENT_LINK_HOURS", default=72)
KIZUNA_ADMIN_PATH = env.str("KIZUNA_ADMIN_PATH", default="admin/").strip("/") + "/"
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Kizuna")
AXES_FAILURE_LIMIT = env.int("KIZUNA_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("KIZUNA_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Behind a proxy the lockout and every rate limit must see the client, not the proxy: the same
# reading of X-Forwarded-For as the rest of the site (kizuna.security.client_ip).
AXES_CLIENT_IP_CALLABLE = "kizuna.security.client_ip"
# Which proxies' X-Forwarded-For to believe: how many hops, and/or their networks (CIDR).
# Neither set (the default): nobody is trusted and the client is REMOTE_ADDR.
KIZUNA_TRUSTED_PROXY_HOPS = env.int("KIZUNA_TRUSTED_PROXY_HOPS", default=0)
KIZUNA_TRUSTED_PROXY_NETWORKS = [  # a typo stops the start, rather than trusting nobody quietly
    str(ipaddress.ip_network(network, strict=False))
    for network in env.list("KIZUNA_TRUSTED_PROXY_NETWORKS", default=[])
]
AXES_VERBOSE = False
SESSION_COOKIE_AGE = 60 * env.int("KIZUNA_SESSION_IDLE_MINUTES", default=30)
# The age counts from the last request (an idle timeout): kizuna.sessions.SessionMiddleware
# renews it, writing an unchanged session at most once a minute rather than on every request.
SESSION_SAVE_EVERY_REQUEST = False
KIZUNA_AUDIT_RETENTION_DAYS = env.int("KIZUNA_AUDIT_RETENTION_DAYS", default=5 * 365 + 1)
# Questionnaire answers and follow-up cases are handed over to the municipality's 母子保健
# system by CSV; Kizuna keeps its copy 5 years (to the child's 3歳児健診 and a little beyond).
KIZUNA_FOLLOWUP_RETENTION_DAYS = env.int("KIZUNA_FOLLOWUP_RETENTION_DAYS", default=5 * 365 + 1)

# Content-Security-Policy (django-csp): nothing inline on parent pages. Staff pages add inline
# styles only, for the HTML mail previews (kizuna.security.StaffPagesCSPMiddleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Security: strict unless DEBUG. `manage.py check --deploy` passes with these.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # monitors inside the network may speak plain HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# LOG_FORMAT=json: one JSON object per line, with each event's counts and durations.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "kizuna.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
