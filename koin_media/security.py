"""Security headers, CSRF for session calls, and the rate limits on log-in and registration."""

from __future__ import annotations

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from .extensions import csrf, limiter


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, if the request carries one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def protect_from_forgery() -> None:
    """CSRF for every unsafe request made with the session cookie.

    A request with a bearer token is exempt: it cannot be forged by another site (the browser
    never adds the header on its own), and such requests never use the session.
    """
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    if request.headers.get("Authorization", "").lower().startswith("bearer"):
        return
    if request.path.startswith("/api/") and not _carries_login_cookie():
        return  # nobody is signed in by cookie, so there is no one to impersonate
    csrf.protect(apply_exemptions=True)  # views authenticated by a signature are exempt


def _carries_login_cookie() -> bool:
    names = (
        current_app.config["SESSION_COOKIE_NAME"],
        current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
    )
    return any(name in request.cookies for name in names)


def content_security_policy() -> str:
    sources = {
        "default-src": "'self'",
        "img-src": "'self' data: blob:",
        "media-src": "'self' blob:",
        "script-src": "'self'",
        "style-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    extra = current_app.config.get("CSP_EXTRA_SOURCES", {})
    for directive, origin in extra.items():
        sources[directive] = f"{sources[directive]} {origin}"
    return "; ".join(f"{k} {v}" for k, v in sources.items())


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), microphone=(), camera=()")
    if current_app.config["SESSION_COOKIE_SECURE"] and request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.path.startswith("/api/") or response.mimetype == "text/html":
        # Pages carry personal data and CSRF tokens: no shared caches, no back-button leaks.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# --- rate limits ---------------------------------------------------------------------------


def _submitted_email() -> str:
    if request.is_json:
        data = request.get_json(silent=True)
        email = data.get("email") if isinstance(data, dict) else None
    else:
        email = request.form.get("email")
    return email.strip().lower() if isinstance(email, str) else ""


def account_key() -> str:
    """Limits per account follow the e-mail typed, so one person's typos lock out only them."""
    email = _submitted_email()
    return f"account:{email}" if email else f"address:{get_remote_address()}"


def mark_auth_failed() -> None:
    g.auth_failed = True


def _auth_failed(_response) -> bool:
    return g.get("auth_failed", False)


def _only_posts() -> bool:
    return request.method != "POST"


def _config(name):
    return lambda: current_app.config[name]


# Shared across the HTML form and the JSON token endpoint: ten wrong passwords for one
# account in a minute are ten, whichever door they came through.
login_limits = (
    limiter.shared_limit(
        _config("RATELIMIT_LOGIN"),
        scope="login-account",
        key_func=account_key,
        deduct_when=_auth_failed,
        exempt_when=_only_posts,
    ),
    limiter.shared_limit(
        _config("RATELIMIT_LOGIN_ADDRESS"),
        scope="login-address",
        key_func=get_remote_address,
        deduct_when=_auth_failed,
        exempt_when=_only_posts,
    ),
)

registration_limits = (
    limiter.shared_limit(
        _config("RATELIMIT_LOGIN"), scope="register-account", key_func=account_key, exempt_when=_only_posts
    ),
    limiter.shared_limit(
        _config("RATELIMIT_REGISTER_ADDRESS"),
        scope="register-address",
        key_func=get_remote_address,
        exempt_when=_only_posts,
    ),
)


def apply_limits(limits):
    def decorator(view):
        for limit in reversed(limits):
            view = limit(view)
        return view

    return decorator
