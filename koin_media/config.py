"""Configuration read once from the environment (and an optional ``.env`` file).

Every ``KOIN_*`` name here is public interface: the README documents each one with its
default. Tests never patch this module; they pass a mapping to ``create_app`` instead.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

# The built-in key is only good enough for debug and tests; ``create_app`` refuses to run
# a production app with it.
DEV_SECRET_KEY = "koin-media-development-key-not-for-production"  # noqa: S105 (refused outside debug and tests)

MB = 1024 * 1024
PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def env_int_between(name: str, default: int, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``: for durations where 0 or a negative number would
    end things at once and a huge one would overflow the date arithmetic (a 500 later)."""
    value = env_int(name, default)
    if not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value}")
    return value


def env_str(name: str, default: str | None = None) -> str | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip()


def env_days(name: str, default: str) -> tuple[int, ...]:
    """A comma-separated list of whole days ("7,1"), each once, largest first."""
    raw = env_str(name, default)
    try:
        days = sorted({int(part) for part in raw.split(",") if part.strip()}, reverse=True)
    except ValueError:
        raise ValueError(f"{name} must list whole days separated by commas, like 7,1, not {raw!r}") from None
    if not days or days[-1] < 1 or days[0] > 365:
        raise ValueError(f"{name} must list days from 1 to 365, like 7,1, not {raw!r}")
    return tuple(days)


# Loopback names are always trusted: health checks and the local tools call the app by them,
# and a link to the caller's own machine leads nowhere an attacker controls.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


def trusted_hosts(public_url: str, extra: str | None) -> list[str]:
    """Host names the app answers to (Flask's TRUSTED_HOSTS): the one of KOIN_PUBLIC_URL, the
    loopback names and those listed in KOIN_TRUSTED_HOSTS (comma-separated; ``.example.id``
    also trusts its subdomains). Any other ``Host`` header is a 400, so no link the app
    builds from the request (pages, API ``url`` fields, download links) can point elsewhere."""
    hosts = [urlsplit(public_url).hostname or "", *LOOPBACK_HOSTS]
    hosts += [host.strip().lower() for host in (extra or "").split(",")]
    return list(dict.fromkeys(host for host in hosts if host))


def default_sqlite_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'koin_media.sqlite3'}"


def from_environment() -> dict:
    """Build the app's settings from ``KOIN_*`` variables, with the embedded defaults."""
    redis_url = env_str("KOIN_REDIS_URL")
    debug = env_bool("KOIN_DEBUG", False)
    return {
        "DEBUG": debug,
        "SECRET_KEY": env_str("KOIN_SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": env_str("KOIN_DATABASE_URL", default_sqlite_url()),
        "STORAGE_BACKEND": env_str("KOIN_STORAGE_BACKEND", "local"),
        "STORAGE_DIR": env_str("KOIN_STORAGE_DIR", str(INSTANCE_DIR / "storage")),
        "S3_BUCKET": env_str("KOIN_S3_BUCKET"),
        "S3_ENDPOINT_URL": env_str("KOIN_S3_ENDPOINT_URL"),
        "S3_REGION": env_str("KOIN_S3_REGION", "ap-southeast-3"),
        "S3_ADDRESSING_STYLE": env_str("KOIN_S3_ADDRESSING_STYLE", "auto"),
        "PUBLIC_URL": env_str("KOIN_PUBLIC_URL", "http://127.0.0.1:8000"),
        "TRUSTED_HOSTS": trusted_hosts(
            env_str("KOIN_PUBLIC_URL", "http://127.0.0.1:8000"), env_str("KOIN_TRUSTED_HOSTS")
        ),
        "UPLOAD_URL_TTL": env_int("KOIN_UPLOAD_URL_TTL", 3 * 60 * 60),
        "DOWNLOAD_URL_TTL": env_int("KOIN_DOWNLOAD_URL_TTL", 15 * 60),
        # How long an anonymous catalogue page may be served from memory (koin_media/pagecache.py);
        # 0 switches the page cache off. Kept well below DOWNLOAD_URL_TTL: the page carries
        # signed image links.
        "PAGE_CACHE_SECONDS": env_int("KOIN_PAGE_CACHE_SECONDS", 60),
        "MAX_BYTES": {
            "image": env_int("KOIN_MAX_IMAGE_MB", 50) * MB,
            "audio": env_int("KOIN_MAX_AUDIO_MB", 200) * MB,
            "document": env_int("KOIN_MAX_DOCUMENT_MB", 50) * MB,
            "video": env_int("KOIN_MAX_VIDEO_MB", 5 * 1024) * MB,
        },
        "MAX_IMAGE_PIXELS": env_int("KOIN_MAX_IMAGE_PIXELS", 150_000_000),
        "TRANSCODE_TIMEOUT": env_int("KOIN_TRANSCODE_TIMEOUT", 30 * 60),
        "TRANSCODE_THREADS": env_int("KOIN_TRANSCODE_THREADS", 2),
        # The duplicate warning (assets/duplicates.py): photos whose perceptual hashes differ in
        # at most this many of their 64 bits are "similar" (0: identical hashes only); exact copies
        # (the same SHA-256) are always flagged.
        "NEAR_DUPLICATE_DISTANCE": min(max(env_int("KOIN_NEAR_DUPLICATE_DISTANCE", 8), 0), 64),
        "CREATOR_QUOTA_BYTES": env_int("KOIN_CREATOR_QUOTA_GB", 50) * 1024 * MB,
        # Usage rights (assets/rights.py): the consent/model-release document's size limit, and
        # how many days before an asset's usable-until date its owner and staff are warned.
        "RELEASE_MAX_BYTES": env_int("KOIN_RELEASE_MAX_BYTES", 10 * MB),
        "RIGHTS_WARNING_DAYS": env_int("KOIN_RIGHTS_WARNING_DAYS", 14),
        "UPLOAD_MAX_UNFINISHED": env_int("KOIN_UPLOAD_MAX_UNFINISHED", 5),
        "MAIL_SMTP_HOST": env_str("KOIN_MAIL_SMTP_HOST"),
        "MAIL_SMTP_PORT": env_int("KOIN_MAIL_SMTP_PORT", 587),
        "MAIL_SMTP_USER": env_str("KOIN_MAIL_SMTP_USER"),
        "MAIL_SMTP_PASSWORD": env_str("KOIN_MAIL_SMTP_PASSWORD"),
        "MAIL_SMTP_TLS": env_bool("KOIN_MAIL_SMTP_TLS", True),
        "MAIL_FROM": env_str("KOIN_MAIL_FROM", "KOIN Media <noreply@koin-media.id>"),
        "MAIL_DIR": env_str("KOIN_MAIL_DIR", str(INSTANCE_DIR / "mail")),
        # How messages reach people (notifications/channels.py): channel names, comma-separated.
        "NOTIFICATION_CHANNELS": env_str("KOIN_NOTIFICATION_CHANNELS", "email,notice"),
        "BOOKING_PENDING_HOURS": env_int("KOIN_BOOKING_PENDING_HOURS", 72),
        "BOOKING_CANCEL_HOURS": env_int("KOIN_BOOKING_CANCEL_HOURS", 48),
        "BOOKING_MAX_PENDING": env_int("KOIN_BOOKING_MAX_PENDING", 3),
        "BOOKING_OFFER_HOURS": env_int("KOIN_BOOKING_OFFER_HOURS", 24),
        # Alternatives offered after a closure are held for the school this long (visits/reschedule.py).
        "RESCHEDULE_HOLD_HOURS": env_int_between("KOIN_RESCHEDULE_HOLD_HOURS", 24, 1, 30 * 24),
        # ... and never a session starting sooner than this: the school must still get there.
        "RESCHEDULE_LEAD_HOURS": env_int_between("KOIN_RESCHEDULE_LEAD_HOURS", 24, 0, 30 * 24),
        "BOOKING_CHECKIN_EARLY_MINUTES": env_int("KOIN_BOOKING_CHECKIN_EARLY_MINUTES", 120),
        # Reminders asking for the final headcount, this many days before a visit (visits/reminders.py).
        "REMINDER_DAYS": env_days("KOIN_REMINDER_DAYS", "7,1"),
        # A school may change its feedback on a visit for this many days after sending it (visits/feedback.py).
        "FEEDBACK_EDIT_DAYS": env_int_between("KOIN_FEEDBACK_EDIT_DAYS", 7, 1, 365),
        "REDIS_URL": redis_url,
        "QUEUE_IMMEDIATE": env_bool("KOIN_QUEUE_IMMEDIATE", False),
        "QUEUE_PATH": env_str("KOIN_QUEUE_PATH", str(INSTANCE_DIR / "queue.sqlite3")),
        "JOB_LEASE_SECONDS": env_int("KOIN_JOB_LEASE_SECONDS", 120),
        "WORKER_STALE_SECONDS": env_int("KOIN_WORKER_STALE_SECONDS", 300),
        # Promo kits (promo/kits.py): the ZIP goes to the store in parts of this size as it is
        # written (never below S3's 5 MiB minimum), what one kit may hold, how long it lasts.
        "KIT_PART_BYTES": max(env_int("KOIN_KIT_PART_BYTES", 16 * MB), 5 * MB),
        "KIT_MAX_FILES": env_int("KOIN_KIT_MAX_FILES", 100),
        "KIT_MAX_BYTES": env_int("KOIN_KIT_MAX_BYTES", 10 * 1024 * MB),
        "KIT_TTL_HOURS": env_int("KOIN_KIT_TTL_HOURS", 72),
        # Collections (promo/collections.py): how many one user keeps, how many assets one holds.
        "COLLECTIONS_PER_USER": max(env_int("KOIN_COLLECTIONS_PER_USER", 50), 1),
        "COLLECTION_MAX_ITEMS": max(env_int("KOIN_COLLECTION_MAX_ITEMS", 100), 1),
        "MIN_FREE_DISK_MB": env_int("KOIN_MIN_FREE_DISK_MB", 1024),
        "TEMP_MAX_AGE_MINUTES": env_int("KOIN_TEMP_MAX_AGE_MINUTES", 60),
        "PROCESSING_DIR": env_str("KOIN_PROCESSING_DIR", str(Path(tempfile.gettempdir()) / "koin-media-processing")),
        # Tests only: processing waits at this directory's gate files, so a test can kill a
        # worker mid-job at a known point instead of guessing with sleeps.
        "PROCESSING_TEST_GATE": env_str("KOIN_TEST_PROCESSING_GATE"),
        "RATELIMIT_ENABLED": env_bool("KOIN_RATELIMIT_ENABLED", True),
        # Without Redis the counters live in the database, so every worker process counts alike.
        "RATELIMIT_STORAGE_URI": redis_url or "database://",
        "RATELIMIT_LOGIN": env_str("KOIN_RATELIMIT_LOGIN", "10 per minute"),
        "RATELIMIT_LOGIN_ADDRESS": env_str("KOIN_RATELIMIT_LOGIN_ADDRESS", "100 per minute"),
        "RATELIMIT_LOGIN_ATTEMPTS_ADDRESS": env_str("KOIN_RATELIMIT_LOGIN_ATTEMPTS_ADDRESS", "300 per minute"),
        "RATELIMIT_LOGIN_ACCOUNT": env_str("KOIN_RATELIMIT_LOGIN_ACCOUNT", "20 per hour"),
        "LOGIN_BACKOFF_MAX": env_int("KOIN_LOGIN_BACKOFF_MAX_SECONDS", 15 * 60),
        "DATABASE_BUSY_TIMEOUT_MS": env_int("KOIN_DATABASE_BUSY_TIMEOUT_MS", 15_000),
        "RATELIMIT_REGISTER_ADDRESS": env_str("KOIN_RATELIMIT_REGISTER_ADDRESS", "30 per hour"),
        "RATELIMIT_PASSWORD_RESET": env_str("KOIN_RATELIMIT_PASSWORD_RESET", "5 per hour"),
        "RATELIMIT_PASSWORD_RESET_ADDRESS": env_str("KOIN_RATELIMIT_PASSWORD_RESET_ADDRESS", "30 per hour"),
        "RATELIMIT_VERIFICATION_RESEND": env_str("KOIN_RATELIMIT_VERIFICATION_RESEND", "5 per hour"),
        # NPSN lookups in the national school reference (registration fills the school from it).
        "RATELIMIT_SCHOOL_LOOKUP": env_str("KOIN_RATELIMIT_SCHOOL_LOOKUP", "30 per minute"),
        "PASSWORD_RESET_MINUTES": env_int("KOIN_PASSWORD_RESET_MINUTES", 60),
        "EMAIL_VERIFICATION_HOURS": env_int("KOIN_EMAIL_VERIFICATION_HOURS", 72),
        "SESSION_COOKIE_SECURE": env_bool("KOIN_COOKIE_SECURE", True),
        "REMEMBER_COOKIE_SECURE": env_bool("KOIN_COOKIE_SECURE", True),
        "TRUSTED_PROXIES": env_int("KOIN_TRUSTED_PROXIES", 0),
        "MAX_CONTENT_LENGTH": env_int("KOIN_MAX_FORM_BYTES", 16 * 1024 * 1024),
    }


# Settings that are the same everywhere and not meant to be tuned per deployment.
FIXED = {
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
    "WTF_CSRF_CHECK_DEFAULT": False,  # checked in one before_request hook (bearer calls skip it)
    "WTF_CSRF_TIME_LIMIT": 60 * 60 * 8,  # a long form on a slow phone must still submit
    "BABEL_DEFAULT_LOCALE": "id",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Makassar",
    "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent / "translations"),
    "LANGUAGES": ("id", "en"),
    "RATELIMIT_HEADERS_ENABLED": True,
    "JSON_SORT_KEYS": False,
}


def load_dotenv_file() -> None:
    """Honour a ``.env`` in the project root; real environment variables win."""
    from dotenv import load_dotenv

    load_dotenv(PROJECT_ROOT / ".env", override=False)
