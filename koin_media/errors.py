"""Error answers: an HTML page in the user's language, or JSON under /api/."""

from __future__ import annotations

from flask import jsonify, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from .access import wants_json

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
    429: (
        "rate_limited",
        _l("Too many attempts"),
        _l("Too many attempts in a short time. Wait a minute, then try again."),
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


def _http_error(error: HTTPException):
    if isinstance(error, CSRFError):
        response = error_response(400, CSRF_MESSAGE, error="csrf_failed")
    else:
        # Werkzeug's own descriptions are English developer prose: people get ours instead,
        # unless the code raised the error with its own (translated) message.
        custom = getattr(error, "koin_message", None)
        response = error_response(error.code or 500, custom)
    return response


def abort_with(code: int, message) -> None:
    """Abort with a message meant for the user (already in their language)."""
    error = default_exceptions[code]()
    error.koin_message = message
    raise error


def _server_error(error: Exception):
    return error_response(500)


def init_app(app) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
