"""ALAIN settings, read from the environment (see `.env.example` for every variable).

SQLite is the embedded default; `DATABASE_URL=postgres://...` switches to PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from alain_site.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
# A fixed key is only acceptable for local development; production sets SECRET_KEY.
SECRET_KEY = env_str("SECRET_KEY", "alain-insecure-development-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_htmx",
    "django_q",
    "django_prometheus",
    # django-ninja's own static files: /api/docs serves Swagger UI from here, not from a CDN.
    "ninja",
    "providers",
    "prompts",
    "generation",
    "review",
    "alain_site.accounts",
    "alain_site.observability",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # First of ALAIN's: every later log line of the request carries its id.
    "alain_site.observability.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Refuses an oversized API body from its Content-Length, before anything reads it, and
    # answers unknown API paths and methods in JSON.
    "alain_site.api.limits.ApiEdgeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed sign-ins and refuses them past AXES_FAILURE_LIMIT (login throttling).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("ALAIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_float("ALAIN_LOGIN_COOLOFF_HOURS", 0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Django's own cap on a non-file body read into memory: the API's limit (its JSON bodies).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("ALAIN_API_MAX_BODY_BYTES", 8 * 1024 * 1024)

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "alain@localhost")

# Production runs behind TLS (ALAIN_HTTPS=1): secure cookies, HSTS and the HTTPS redirect, so
# that `manage.py check --deploy --fail-level WARNING` is clean. Local `make run` is plain HTTP.
HTTPS = env_bool("ALAIN_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("ALAIN_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy: scripts and styles only from our own static files (no inline script,
# no CDN); generated content can therefore never run script even if it escaped sanitizing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "alain_site.urls"

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

WSGI_APPLICATION = "alain_site.wsgi.application"


def database_from_url(url: str) -> dict:
    """Turn `DATABASE_URL` into a Django DATABASES entry (postgres:// or sqlite:///path)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"postgres", "postgresql", "pgsql"}:
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "postgres",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
            "TEST": {"NAME": env_str("DATABASE_TEST_NAME", "") or None},
        }
    if scheme == "sqlite":
        return sqlite_database(unquote(parts.path) or str(BASE_DIR / "alain.sqlite3"))
    raise ValueError(f"DATABASE_URL has an unsupported scheme {scheme!r} (use postgres:// or sqlite:///)")


def sqlite_database(path: str) -> dict:
    # WAL and IMMEDIATE transactions keep one web process and one worker from tripping
    # over "database is locked" (see FIELD_NOTES.md).
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL;",
        },
    }


DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL"))
    if env_str("DATABASE_URL")
    else sqlite_database(str(BASE_DIR / "alain.sqlite3"))
}

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
STATICFILES_DIRS = [BASE_DIR / "alain_site" / "static"]
MEDIA_ROOT = Path(env_str("ALAIN_MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"


def artifact_storage(kind: str) -> dict:
    """The STORAGES entry that holds run artifacts: the local filesystem, or an S3-compatible bucket.

    S3 (AWS, MinIO, Ceph, R2...) goes through django-storages. Keys left empty fall back to
    boto3's own chain (AWS_* variables, instance or pod role). Keys live only in these OPTIONS,
    which Django's error pages and ALAIN's logs redact; nothing here logs them.
    """
    if kind == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ValueError(f"ALAIN_STORAGE must be local or s3, got {kind!r}")
    bucket = env_str("ALAIN_S3_BUCKET")
    if not bucket:
        raise ValueError("ALAIN_STORAGE=s3 needs ALAIN_S3_BUCKET, the bucket that holds the artifacts")
    access_key = env_str("ALAIN_S3_ACCESS_KEY_ID")
    secret_key = env_str("ALAIN_S3_SECRET_ACCESS_KEY")
    if bool(access_key) != bool(secret_key):
        raise ValueError("set both ALAIN_S3_ACCESS_KEY_ID and ALAIN_S3_SECRET_ACCESS_KEY, or neither")
    addressing = env_str("ALAIN_S3_ADDRESSING_STYLE")
    if addressing not in {"", "auto", "path", "virtual"}:
        raise ValueError(f"ALAIN_S3_ADDRESSING_STYLE must be auto, path or virtual, got {addressing!r}")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "region_name": env_str("ALAIN_S3_REGION") or None,
            # MinIO and other S3-compatible servers: their URL, usually with path addressing.
            "endpoint_url": env_str("ALAIN_S3_ENDPOINT_URL") or None,
            "addressing_style": addressing or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "location": env_str("ALAIN_S3_PREFIX").strip("/"),
            # Artifacts are written once (generation/artifacts.py): an existing key is never
            # overwritten in place; publish_version refuses a renamed key instead of recording it.
            "file_overwrite": False,
            # Objects stay private (the bucket's policy); ALAIN serves them itself, after its checks.
            "default_acl": None,
            "querystring_auth": True,
        },
    }


ARTIFACT_STORAGE = env_str("ALAIN_STORAGE", "local").strip().lower() or "local"
STORAGES = {
    # Run artifacts (`runs/<tutorial-id>/v<N>/...`): ALAIN_STORAGE=local (ALAIN_MEDIA_ROOT) or s3.
    "default": artifact_storage(ARTIFACT_STORAGE),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- ALAIN -------------------------------------------------------------------------------

ALAIN = {
    # Teacher provider used when none is given: "demo" unless a provider is configured.
    "DEFAULT_PROVIDER": env_str("ALAIN_PROVIDER", ""),
    "DEFAULT_TEACHER_MODEL": env_str("ALAIN_TEACHER_MODEL", ""),
    # OpenAI-compatible provider (any base URL).
    "OPENAI_BASE_URL": env_str("OPENAI_BASE_URL", "https://api.openai.com/v1"),
    "OPENAI_API_KEY": env_str("OPENAI_API_KEY", ""),
    "OPENAI_MODEL": env_str("OPENAI_MODEL", "gpt-4o-mini"),
    "OPENAI_CONCURRENCY": env_str("OPENAI_CONCURRENCY", ""),
    # Poe's OpenAI-compatible API.
    "POE_BASE_URL": env_str("POE_BASE_URL", "https://api.poe.com/v1"),
    "POE_API_KEY": env_str("POE_API_KEY", ""),
    "POE_MODEL": env_str("POE_MODEL", "GPT-4o"),
    "POE_CONCURRENCY": env_str("POE_CONCURRENCY", ""),
    # Local servers: vLLM, Ollama, llama.cpp / llama-cpp-python.
    "LOCAL_BASE_URL": env_str("LOCAL_BASE_URL", "http://127.0.0.1:8000/v1"),
    "LOCAL_API_KEY": env_str("LOCAL_API_KEY", ""),
    "LOCAL_MODEL": env_str("LOCAL_MODEL", "teacher"),
    "LOCAL_CONCURRENCY": env_str("LOCAL_CONCURRENCY", "1"),
    # The GPT-OSS-120B teacher option is only offered when enabled.
    "ENABLE_GPT_OSS": env_bool("ALAIN_ENABLE_GPT_OSS", False),
    # Context window assumed for the teacher model when the catalog does not know it.
    "TEACHER_CONTEXT_TOKENS": env_int("ALAIN_TEACHER_CONTEXT_TOKENS", 4096),
    # HTTP behaviour of teacher calls.
    # CPU-bound local teachers take minutes for a schema-constrained reply.
    "HTTP_TIMEOUT_SECONDS": env_float("ALAIN_HTTP_TIMEOUT", 300.0),
    "HTTP_MAX_ATTEMPTS": env_int("ALAIN_HTTP_MAX_ATTEMPTS", 4),
    "HTTP_BACKOFF_BASE_SECONDS": env_float("ALAIN_HTTP_BACKOFF_BASE", 1.0),
    "HTTP_BACKOFF_MAX_SECONDS": env_float("ALAIN_HTTP_BACKOFF_MAX", 30.0),
    # Structured-output retries with the validation errors fed back.
    "JSON_MAX_ATTEMPTS": env_int("ALAIN_JSON_MAX_ATTEMPTS", 3),
    # Execution validation in the sandbox, and auto-fix rounds after it.
    "EXEC_CELL_TIMEOUT": env_int("ALAIN_EXEC_CELL_TIMEOUT", 60),
    "EXEC_TOTAL_TIMEOUT": env_int("ALAIN_EXEC_TOTAL_TIMEOUT", 600),
    "REPAIR_ROUNDS": env_int("ALAIN_REPAIR_ROUNDS", 2),
    # Card tokens repeated in each section and wrap-up prompt (at most 600). 0 leaves the card
    # out: small local teachers (under ~3B parameters) copy it instead of writing the step.
    "SECTION_CARD_TOKENS": env_int("ALAIN_SECTION_CARD_TOKENS", 600),
    # Sections generated at once for one run.
    "SECTION_CONCURRENCY": env_int("ALAIN_SECTION_CONCURRENCY", 4),
    # Hugging Face research cache.
    "HF_CACHE_DIR": env_str("ALAIN_HF_CACHE_DIR", str(BASE_DIR / ".cache" / "hf-research")),
    "HF_CACHE_TTL_SECONDS": env_int("ALAIN_HF_CACHE_TTL", 24 * 3600),
    "HF_TOKEN": env_str("HF_TOKEN", ""),
    "HF_ENDPOINT": env_str("HF_ENDPOINT", ""),
    "HF_OFFLINE": env_bool("HF_HUB_OFFLINE", False),
    # Uploaded / pasted source limits.
    "MAX_SOURCE_BYTES": env_int("ALAIN_MAX_SOURCE_BYTES", 1024 * 1024),
    # The API (alain_site/api): requests per client (token, else user, else address) per minute
    # (0: no limit), and the largest request body, which must hold an uploaded notebook.
    "API_RATE_PER_MINUTE": env_int("ALAIN_API_RATE_PER_MINUTE", 120),
    "API_MAX_BODY_BYTES": env_int("ALAIN_API_MAX_BODY_BYTES", 8 * 1024 * 1024),
    # Background runs (generation/queueing.py). A worker beats every RUN_HEARTBEAT_SECONDS; a
    # run whose worker was silent for RUN_STALE_SECONDS is taken over (its worker died); a run
    # delivered RUN_MAX_DELIVERIES times without finishing is failed (it kills its worker);
    # a run still going RUN_DEADLINE_SECONDS after its claim is failed, before the task
    # timeout would kill its worker.
    "RUN_HEARTBEAT_SECONDS": env_float("ALAIN_RUN_HEARTBEAT_SECONDS", 10.0),
    "RUN_STALE_SECONDS": env_float("ALAIN_RUN_STALE_SECONDS", 60.0),
    "RUN_MAX_DELIVERIES": env_int("ALAIN_RUN_MAX_DELIVERIES", 3),
    "RUN_DEADLINE_SECONDS": env_int("ALAIN_RUN_DEADLINE_SECONDS", 3300),
    # A queued run with no task in the queue for this long gets a new one (watchdog).
    "QUEUE_GRACE_SECONDS": env_int("ALAIN_QUEUE_GRACE_SECONDS", 120),
    # Fairness to providers across every worker (providers/governor.py): <PREFIX>_CONCURRENCY
    # above caps calls in flight; <PREFIX>_RATE_PER_MINUTE caps the request rate.
    "OPENAI_RATE_PER_MINUTE": env_str("OPENAI_RATE_PER_MINUTE", ""),
    "POE_RATE_PER_MINUTE": env_str("POE_RATE_PER_MINUTE", ""),
    "LOCAL_RATE_PER_MINUTE": env_str("LOCAL_RATE_PER_MINUTE", ""),
    "BREAKER_THRESHOLD": env_int("ALAIN_BREAKER_THRESHOLD", 5),
    "BREAKER_COOLDOWN_SECONDS": env_float("ALAIN_BREAKER_COOLDOWN_SECONDS", 60.0),
    "LEASE_TTL_SECONDS": env_float("ALAIN_LEASE_TTL_SECONDS", 30.0),
    "PROVIDER_WAIT_SECONDS": env_float("ALAIN_PROVIDER_WAIT_SECONDS", 600.0),
    # Where artifacts live: "local" or "s3" (STORAGES above).
    "STORAGE": ARTIFACT_STORAGE,
    # Retention (generation/retention.py): days after which unapproved, superseded versions'
    # files and the teacher-call payloads of runs nobody kept are purged; 0 keeps them forever.
    "RETENTION_DAYS": env_int("ALAIN_RETENTION_DAYS", 30),
    # The nightly refresh (generation/refresh.py): a cron expression ("0 3 * * *", TIME_ZONE)
    # for the django-q2 schedule `alain-nightly-refresh`, synced at every `migrate`; empty: off.
    "REFRESH_SCHEDULE": env_str("ALAIN_REFRESH_SCHEDULE", ""),
}
if ALAIN["RETENTION_DAYS"] < 0:
    raise ValueError("ALAIN_RETENTION_DAYS must be 0 (keep forever) or a number of days")

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# One JSON object per line on stdout (web and workers), with request_id, tutorial_id and stage
# where they apply and every secret redacted (alain_site/observability/logs.py).
# ALAIN_LOG_FORMAT=plain gives readable lines for local work (still redacted).
LOG_FORMAT = env_str("ALAIN_LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "alain_site.observability.logs.ContextFilter"},
        "redact": {"()": "alain_site.observability.logs.RedactingFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(tutorial_id)s %(stage)s] %(message)s"},
        "json": {"()": "alain_site.observability.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain" if LOG_FORMAT == "plain" else "json",
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "urllib3": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# django-q2. The ORM broker on the runs' database by default: a run and its task commit
# together. SQLite allows one writer, so one worker there; PostgreSQL takes ALAIN_Q_WORKERS per
# cluster and any number of clusters on any number of hosts. Redis is an option
# (ALAIN_Q_BROKER=redis, REDIS_URL; `pip install redis`). The task timeout stays above the
# run deadline (a run is stopped cleanly before its worker is killed) and below `retry`
# (django-q2 would otherwise deliver a task twice while it still runs).
TASK_TIMEOUT = env_int("ALAIN_TASK_TIMEOUT", 3600)
Q_WORKERS = env_int("ALAIN_Q_WORKERS", 1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 2)
Q_CLUSTER = {
    "name": "alain",
    "workers": Q_WORKERS,
    "bulk": 1,
    "queue_limit": Q_WORKERS,
    "poll": env_float("ALAIN_Q_POLL", 0.5),
    "timeout": TASK_TIMEOUT,
    "retry": env_int("ALAIN_TASK_RETRY", TASK_TIMEOUT + 300),
    "ack_failures": True,
    "max_attempts": 3,
    "recycle": 50,
    "max_rss": env_int("ALAIN_Q_MAX_RSS_KB", 1_500_000),
    "save_limit": 1000,
    "catch_up": False,
    "label": "Background tasks",
}
if env_str("ALAIN_Q_BROKER", "orm") == "redis":
    Q_CLUSTER["redis"] = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
else:
    Q_CLUSTER["orm"] = "default"
if ALAIN["RUN_DEADLINE_SECONDS"] >= TASK_TIMEOUT:
    raise ValueError("ALAIN_RUN_DEADLINE_SECONDS must be smaller than ALAIN_TASK_TIMEOUT")
