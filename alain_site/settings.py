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
    "django_q",
    "providers",
    "prompts",
    "generation",
    "review",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
MEDIA_ROOT = Path(env_str("ALAIN_MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"

STORAGES = {
    # Artifacts go through this storage; S3 is a setting away (issue 9).
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
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
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "urllib3": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}

# django-q2: ORM broker. Issue 4 tunes it; these are the verified starting values.
Q_CLUSTER = {
    "name": "alain",
    "orm": "default",
    "workers": env_int("ALAIN_Q_WORKERS", 2),
    "bulk": 1,
    "queue_limit": env_int("ALAIN_Q_WORKERS", 2),
    "poll": 0.5,
    "timeout": env_int("ALAIN_TASK_TIMEOUT", 1800),
    "retry": env_int("ALAIN_TASK_TIMEOUT", 1800) + 300,
    "ack_failures": True,
    "max_attempts": 3,
    "recycle": 50,
    "save_limit": 1000,
    "catch_up": False,
}
