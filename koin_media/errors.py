"""Error answers: an HTML page in the user's language, or JSON under /api/."""

from __future__ import annotations

import logging

from flask import Response, g, jsonify, make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError, default_exceptions

from .access import wants_json
from .database import deferred_transactions
from .extensions import db, login_manager

log = logging.getLogger(__name__)

# code -> (machine name, title, explanation); the texts are shown to people.
ERRORS = {
    400: (
        "bad_request",
        _l("Bad request"),
        _l("The request could not be understood. Check what you entered and try again."),
    ),
    401: ("unauthorized", _l("Please log in"), _l("You need to log in to do this.")),
    403: ("forbidden", _l("Not allowed"), _l("Your account is not allowed to do this.")),
    404: (
        "not_found",
        _l("Page not found"),
        _l("We could not find what you were looking for. It may have been moved or removed."),
    ),
    405: ("method_not_allowed", _l("Not allowed"), _l("This address does not accept that kind of request.")),
    409: ("conflict", _l("Conflict"), _l("This clashes with a change made in the meantime. Reload and try again.")),
    413: ("too_large", _l("Too large"), _l("What you sent is larger than this address accepts.")),
    415: ("unsupported_media_type", _l("Unsupported format"), _l("Send the data as JSON.")),
    422: ("validation_failed", _l("Check your input"), _l("Some of what you entered is not valid.")),
    416: (
        "range_not_satisfiable",
        _l("Range not available"),
        _l("The requested part of the file lies beyond its end. Download the file again from the start."),
    ),
    429: (
        "rate_limited",
        _l("Too many attempts"),
        _l("Too many attempts in a short time. Wait a minute, then try again."),
    ),
    502: (
        "storage_error",
        _l("Storage error"),
        _l("The file storage answered with an error. Nothing was saved; please try again in a moment."),
    ),
    507: (
        "storage_full",
        _l("Storage full"),
        _l("The file storage is full, so nothing was saved. Please try again later; the office has been told."),
    ),
    500: (
        "server_error",
        _l("Something went wrong"),
        _l("Something went wrong on our side. Please try again in a moment; we have been notified."),
    ),
    503: (
        "unavailable",
        _l("Temporarily unavailable"),
        _l("The service is busy or under maintenance. Please try again in a moment."),
    ),
}
STORAGE_UNAVAILABLE = _l(
    "The file storage cannot be reached right now. Nothing was saved; please try again in a few minutes."
)
STORAGE_RETRY_AFTER = 60  # seconds: long enough for a restarted store, short for a person waiting
UNTRUSTED_HOST_MESSAGE = _l("This address is not served here. Open the site through its own address.")
CSRF_MESSAGE = _l("The form expired or was sent from another site. Reload the page and send it again.")


def error_response(code: int, message=None, **extra):
    """One shape for every error: ``{"error", "message"}`` as JSON, a page otherwise."""
    name, title, default_message = ERRORS.get(code, ERRORS[500] if code >= 500 else ERRORS[400])
    message = str(message or default_message)
    if wants_json():
        response = jsonify(error=extra.pop("error", name), message=message, **extra)
        response.status_code = code
        return response
    return render_template("errors/error.html", code=code, title=title, message=message), code


def _untrusted_host():
    """The Host header names a site we are not (see KOIN_TRUSTED_HOSTS). No page of ours: its
    links would be built from that host, and URLs cannot be built at all without one."""
    message = str(UNTRUSTED_HOST_MESSAGE)
    if wants_json():
        return jsonify(error="untrusted_host", message=message), 400
    return Response(message + "\n", 400, mimetype="text/plain")


def _http_error(error: HTTPException):
    if isinstance(error, SecurityError):
        return _untrusted_host()
    if isinstance(error, CSRFError):
        response = error_response(400, CSRF_MESSAGE, error="csrf_failed")
    else:
        # Werkzeug's own descriptions are English developer prose: people get ours instead,
        # unless the code raised the error with its own (translated) message.
        custom = getattr(error, "koin_message", None)
        response = error_response(error.code or 500, custom)
    # Headers the status itself needs stay on our answer: "Content-Range: bytes */N" on a 416
    # (RFC 9110), so a client resuming a download learns the file's real length; Allow on a 405.
    needed = [(name, value) for name, value in error.get_headers() if name in ("Content-Range", "Allow")]
    if needed:
        response = make_response(response)
        response.headers.extend(needed)
    return response


def abort_with(code: int, message) -> None:
    """Abort with a message meant for the user (already in their language)."""
    error = default_exceptions[code]()
    error.koin_message = message
    raise error


def _server_error(error: Exception):
    return error_response(500)


def storage_fault(error: Exception):
    """A storage fault the route did not handle itself (registered for StorageError by
    koin_media.storage, which this module must not import). Nothing of the request is
    committed, and the person learns whether waiting (503) or the office (507) will help."""
    db.session.rollback()
    code = getattr(error, "http_status", 502)
    if code == 503:
        log.warning("storage unavailable: %s", error)
        response = make_response(error_response(503, STORAGE_UNAVAILABLE, error="storage_unavailable"))
        response.headers["Retry-After"] = str(STORAGE_RETRY_AFTER)
        return response
    if code >= 500:
        log.error("storage fault (%s): %s", code, error)
    return error_response(code)


# --- the database's write lock was not free in time ----------------------------------------
DATABASE_BUSY = _l(
    "Many changes are being saved at this moment, so yours was not saved. Please send it again in a few seconds."
)
DATABASE_RETRY_AFTER = 5  # seconds: a lock queue drains fast; a person should not wait long
# PostgreSQL's lock_timeout, serialization failure and deadlock: each is safe to send again.
_RETRYABLE_SQLSTATES = frozenset({"55P03", "40001", "40P01"})


def is_lock_timeout(error: OperationalError) -> bool:
    """SQLite gave up waiting for its write lock (the busy timeout), or PostgreSQL its lock."""
    if getattr(error.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(error.orig)  # sqlite3's words once the busy timeout ran out


def database_busy(error: OperationalError):
    """A lock timeout is a 503 the person can retry, never a 500; the transaction is rolled
    back, so nothing of the request is half-written. Other database faults stay 500s."""
    if not is_lock_timeout(error):
        raise error
    db.session.rollback()
    log.warning("database lock not granted in time: %s", error.orig)
    if "_login_user" not in g:
        # Not loaded yet, and loading may write (a session's last-seen time): the page is
        # drawn as for a visitor rather than wait for the lock a second time.
        g._login_user = login_manager.anonymous_user()
    with deferred_transactions():  # the page's reads (language, navigation) need no write lock
        response = make_response(error_response(503, DATABASE_BUSY, error="database_busy"))
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def init_app(app) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(OperationalError, database_busy)
