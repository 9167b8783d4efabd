"""Control Panel settings: one env-driven module (django-environ).

With nothing set, the product runs on its embedded default: SQLite (WAL, IMMEDIATE
transactions, busy timeout), a local-memory cache and Celery on kombu's filesystem broker
under ``var/``. ``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` to django-redis for
the cache and rate limits and to Redis as the Celery broker. Every variable is listed in
``.env.example``.
"""

import socket
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("CONTROLPANEL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)

env = environ.Env()
VERSION = "0.1.0"

# CORE
DEBUG = env.bool("DEBUG", default=False)
TESTING = env.bool("CONTROLPANEL_TESTING", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Only for local development and tests; 50 characters so HMAC users see no short-key warning.
    SECRET_KEY = "dev-insecure-secret-key-0123456789-abcdefghijklmnop"  # noqa: S105 (debug and tests only)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "controlpanel",
    "accounts",
    "lessons",
    "progress",
    "search",
    "telemetry",
]

MIDDLEWARE = [
    "controlpanel.middleware.RequestContextMiddleware",
    "telemetry.middleware.TelemetryMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "controlpanel.middleware.ApiTrailingSlashMiddleware",  # API paths without the slash: served, not redirected
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.BrowserSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "controlpanel.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "controlpanel.urls"
WSGI_APPLICATION = "controlpanel.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "landing"

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
                "controlpanel.context_processors.product",
            ],
        },
    },
]

# DATABASES
# SQLite: WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so
# concurrent writers queue on the busy timeout instead of failing with "database is locked".
# Reads go through memory-mapped pages (up to SQLITE_MMAP_BYTES of the file): the processes share the
# operating system's copy instead of each keeping a small private cache that one scan evicts.
SQLITE_PATH = Path(env.str("SQLITE_PATH", default=str(VAR_DIR / "db.sqlite3")))
SQLITE_MMAP_BYTES = env.int("SQLITE_MMAP_BYTES", default=256 * 1024 * 1024)
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": f"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size={SQLITE_MMAP_BYTES:d};",
}
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
# Persistent, health-checked connections on every engine (opening a SQLite connection costs about
# 1 ms per request). SQLite gets its safety options however it was named (the default path,
# SQLITE_PATH or DATABASE_URL=sqlite:///...); options given in the URL's query win.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
DATABASE_IS_SQLITE = DATABASES["default"]["ENGINE"].endswith("sqlite3")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# CACHES
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="cp"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    SILENCED_SYSTEM_CHECKS = []
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "controlpanel"}}
    # Each web process has its own local-memory cache. Nothing in it has to agree between
    # processes: what is cached is keyed by what it was computed from (rendered charts by their
    # figures, search results by the catalog's stamp in the database), and the rate-limit
    # counters live in a shared SQLite file instead (RATELIMIT_STORE below).
    SILENCED_SYSTEM_CHECKS = []

# CELERY
# Embedded default: kombu's filesystem transport under var/ (no server to install).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_DIR = VAR_DIR / "celery" / "broker"
if CELERY_BROKER_URL.startswith("filesystem"):
    (CELERY_BROKER_DIR / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Tasks are acked late; one not acked within this window is delivered again (a lower value
    # also makes the workers sweep for abandoned messages more often).
    BROKER_VISIBILITY_TIMEOUT = env.int("BROKER_VISIBILITY_TIMEOUT", default=3600)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": 2,
        "unacked_restore_interval": max(1, min(10, BROKER_VISIBILITY_TIMEOUT // 4)),
        "unacked_restore_throttle": 1 if BROKER_VISIBILITY_TIMEOUT < 120 else 10,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_MAX_RETRIES = 2
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
REPORT_TIME_ZONE = env.str("REPORT_TIME_ZONE", default="UTC")
CELERY_TIMEZONE = REPORT_TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# AUTH
PASSWORD_HASHERS = [
    "accounts.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
BCRYPT_ROUNDS = env.int("BCRYPT_ROUNDS", default=12)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_MAX_LENGTH = 1024

ACCESS_TOKEN_LIFETIME = timedelta(minutes=env.int("ACCESS_TOKEN_MINUTES", default=15))
REFRESH_TOKEN_LIFETIME = timedelta(hours=env.int("REFRESH_TOKEN_HOURS", default=24))
SESSION_ABSOLUTE_DAYS = env.int("SESSION_ABSOLUTE_DAYS", default=30)  # no refresh beyond this age of a session
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="")
if not JWT_SIGNING_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("JWT_SIGNING_KEY must be set when DEBUG is off.")
    JWT_SIGNING_KEY = "dev-insecure-jwt-signing-key-0123456789-abcdefghij"

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": ACCESS_TOKEN_LIFETIME,
    "REFRESH_TOKEN_LIFETIME": REFRESH_TOKEN_LIFETIME,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "LEEWAY": timedelta(seconds=env.int("JWT_LEEWAY_SECONDS", default=10)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "TOKEN_TYPE_CLAIM": "token_type",
    "JTI_CLAIM": "jti",
    "UPDATE_LAST_LOGIN": False,
}

# API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.SessionJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["controlpanel.api.ratelimit.ApiRateLimit"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["controlpanel.api.parsers.JSONParser"],  # DRF's, with a nesting limit
    "DEFAULT_PAGINATION_CLASS": "controlpanel.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "controlpanel.api.exceptions.api_exception_handler",
    "DEFAULT_METADATA_CLASS": "controlpanel.api.metadata.ApiMetadata",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Control Panel API",
    "DESCRIPTION": "REST API of Control Panel, the learning control panel for the Crazy Diamonds lesson series.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "ENUM_NAME_OVERRIDES": {"ReportKindEnum": "telemetry.models.Report.Kind"},
}

# RATE LIMITS (controlpanel.api.ratelimit rates: "count/period", period s, m, h or d, e.g. "5/15m")
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# Where the counters live: Redis (the cache) in production; on the embedded default one SQLite
# file that every web process shares, so a limit is exact however many processes serve.
RATELIMIT_STORE = env.str("RATELIMIT_STORE", default="cache" if REDIS_URL else "sqlite")
RATELIMIT_SQLITE_PATH = Path(env.str("RATELIMIT_SQLITE_PATH", default=str(VAR_DIR / "ratelimit.sqlite3")))
RATELIMIT_API_RATE = env.str("RATELIMIT_API_RATE", default="1000/h")
RATELIMIT_SEARCH_RATE = env.str("RATELIMIT_SEARCH_RATE", default="100/m")
RATELIMIT_LOGIN_ACCOUNT_FAILURES = env.str("RATELIMIT_LOGIN_ACCOUNT_FAILURES", default="100/h")
RATELIMIT_LOGIN_ADDRESS_RATE = env.str("RATELIMIT_LOGIN_ADDRESS_RATE", default="300/h")
RATELIMIT_REGISTER_ADDRESS_RATE = env.str("RATELIMIT_REGISTER_ADDRESS_RATE", default="30/h")
RATELIMIT_PASSWORD_RESET_ACCOUNT_RATE = env.str("RATELIMIT_PASSWORD_RESET_ACCOUNT_RATE", default="5/h")
RATELIMIT_PASSWORD_RESET_ADDRESS_RATE = env.str("RATELIMIT_PASSWORD_RESET_ADDRESS_RATE", default="20/h")

# CORS (only under /api/, only listed origins)
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining"]

# SECURITY
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=False)
SECURE_SSL_REDIRECT = SECURE_HTTPS
# Load-balancer probes come over plain HTTP inside the network: answered, never redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"] if SECURE_HTTPS else []
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_HTTPS)
# X-Forwarded-For counts only on connections from these (IP addresses or CIDR networks); by
# default a proxy on the same host. A client reaching the app directly is keyed by its socket.
TRUSTED_PROXIES = [entry.strip() for entry in env.list("TRUSTED_PROXIES", default=["127.0.0.0/8", "::1"]) if entry.strip()]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_HOPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
CSRF_COOKIE_HTTPONLY = False
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
METRICS_BEARER_TOKEN = env.str("METRICS_BEARER_TOKEN", default="")

# STATIC FILES
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (DEBUG or TESTING)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# INTERNATIONALISATION
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# E-MAIL
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Control Panel <control-panel@localhost>")

# LESSONS
# Generated lessons wait in review (unpublished) unless this publishes them directly.
LESSONS_PUBLISH_GENERATED = env.bool("LESSONS_PUBLISH_GENERATED", default=False)

# SEARCH: turbo (full-text) and plain search over published lessons; see search/backends.py.
SEARCH_HISTORY_LIMIT = env.int("SEARCH_HISTORY_LIMIT", default=1000)
SEARCH_SAVED_LIMIT = env.int("SEARCH_SAVED_LIMIT", default=100)
SEARCH_CACHE_SECONDS = env.int("SEARCH_CACHE_SECONDS", default=300)
# Turbo counts matches exactly up to this many and reports "at least" beyond (bounded work).
SEARCH_COUNT_LIMIT = env.int("SEARCH_COUNT_LIMIT", default=1000)
# Turbo ranks at most this many candidates by relevance; further matches follow in catalog order.
SEARCH_RANK_CANDIDATES = env.int("SEARCH_RANK_CANDIDATES", default=100)
# Turbo: a query word found inside more catalog words than this is "broad" and checked on
# the rows the other words select instead of being expanded into those words.
SEARCH_EXPANSION_LIMIT = env.int("SEARCH_EXPANSION_LIMIT", default=256)
# Turbo on PostgreSQL: when the planner expects at most this share of the documents to match,
# the matches come from the GIN indexes and are sorted instead of a walk of the primary key.
SEARCH_GATHER_SHARE = env.float("SEARCH_GATHER_SHARE", default=0.2)

# TELEMETRY: request counts and latency histograms are kept in each web process's memory and
# flushed every TELEMETRY_FLUSH_SECONDS as additive upserts (no database write per request).
TELEMETRY_ENABLED = env.bool("TELEMETRY_ENABLED", default=True)
TELEMETRY_FLUSH_SECONDS = env.float("TELEMETRY_FLUSH_SECONDS", default=5.0)
# The background flusher; tests flush by hand inside their transaction instead.
TELEMETRY_BACKGROUND_FLUSH = env.bool("TELEMETRY_BACKGROUND_FLUSH", default=not TESTING)
TELEMETRY_EXCLUDE_PATHS = env.list("TELEMETRY_EXCLUDE_PATHS", default=["/static/", "/healthz", "/readyz", "/metrics", "/favicon.ico"])
# Every web and worker process samples its own host this often (one sample per host and interval).
TELEMETRY_SAMPLE_SECONDS = env.float("TELEMETRY_SAMPLE_SECONDS", default=5.0)
# The sampler thread in web and worker processes; tests take samples by hand instead.
TELEMETRY_BACKGROUND_SAMPLER = env.bool("TELEMETRY_BACKGROUND_SAMPLER", default=not TESTING)
TELEMETRY_HEALTH_SECONDS = env.float("TELEMETRY_HEALTH_SECONDS", default=60.0)
TELEMETRY_DISK_PATH = env.str("TELEMETRY_DISK_PATH", default="") or str(VAR_DIR)
# The name this machine's samples are tagged with (one per host, shared by its processes).
CONTROLPANEL_HOST_NAME = env.str("CONTROLPANEL_HOST_NAME", default="") or socket.gethostname()
TELEMETRY_RETENTION_RAW_HOURS = env.int("TELEMETRY_RETENTION_RAW_HOURS", default=48)
TELEMETRY_RETENTION_MINUTE_DAYS = env.int("TELEMETRY_RETENTION_MINUTE_DAYS", default=30)
TELEMETRY_RETENTION_HOUR_DAYS = env.int("TELEMETRY_RETENTION_HOUR_DAYS", default=365)
# Thresholds (percent) with Netdata-style hysteresis: a raised state clears HYSTERESIS points lower.
TELEMETRY_CPU_WARNING = env.float("TELEMETRY_CPU_WARNING", default=85.0)
TELEMETRY_CPU_CRITICAL = env.float("TELEMETRY_CPU_CRITICAL", default=95.0)
TELEMETRY_CPU_WINDOW_SECONDS = env.int("TELEMETRY_CPU_WINDOW_SECONDS", default=600)
TELEMETRY_MEMORY_WARNING = env.float("TELEMETRY_MEMORY_WARNING", default=90.0)
TELEMETRY_MEMORY_CRITICAL = env.float("TELEMETRY_MEMORY_CRITICAL", default=98.0)
TELEMETRY_DISK_WARNING = env.float("TELEMETRY_DISK_WARNING", default=90.0)
TELEMETRY_DISK_CRITICAL = env.float("TELEMETRY_DISK_CRITICAL", default=98.0)
TELEMETRY_THRESHOLD_WINDOW_SECONDS = env.int("TELEMETRY_THRESHOLD_WINDOW_SECONDS", default=60)
TELEMETRY_THRESHOLD_HYSTERESIS = env.float("TELEMETRY_THRESHOLD_HYSTERESIS", default=10.0)
# The plan's objectives, shown with their current status.
OBJECTIVE_MEDIAN_MS = env.float("OBJECTIVE_MEDIAN_MS", default=150.0)
OBJECTIVE_UPTIME_PERCENT = env.float("OBJECTIVE_UPTIME_PERCENT", default=99.0)
# Routes bounded by password hashing by design: reported on their own line, outside the median objective.
TELEMETRY_HASHING_ROUTES = env.list("TELEMETRY_HASHING_ROUTES", default=["/api/v1/auth/login/", "/api/v1/auth/register/", "/api/v1/auth/password/"])
# REPORTS: delivery of the daily, weekly and monthly reports.
SLACK_WEBHOOK_URL = env.str("SLACK_WEBHOOK_URL", default="")
REPORT_DELIVERY_ATTEMPTS = env.int("REPORT_DELIVERY_ATTEMPTS", default=3)
REPORT_DELIVERY_BACKOFF_SECONDS = env.float("REPORT_DELIVERY_BACKOFF_SECONDS", default=2.0)
REPORT_WEBHOOK_TIMEOUT_SECONDS = env.float("REPORT_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
REPORT_EMAIL_STAFF = env.bool("REPORT_EMAIL_STAFF", default=True)
# Further addresses (comma-separated) that receive the operator reports besides staff; learners never do.
REPORT_EMAIL_TO = [address.strip() for address in env.list("REPORT_EMAIL_TO", default=[]) if address.strip()]
# Absolute base of links in e-mails (weekly progress e-mail, unsubscribe), without a trailing slash.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# How long an e-mail verification link works, in seconds (accounts.verification).
EMAIL_VERIFY_MAX_AGE = env.int("EMAIL_VERIFY_MAX_AGE", default=3 * 24 * 3600)

# LOGGING: one JSON line per API call on "controlpanel.api"; never a token or password.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "controlpanel.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "controlpanel.views.csrf_failure"
