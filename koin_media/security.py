"""Security headers, CSRF for session calls, and the rate limits on log-in and registration."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import current_app, g, request, session
from flask_limiter.util import get_remote_address
from flask_login import current_user

from .extensions import csrf, db, limiter


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, if the request carries one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def sends_bearer() -> bool:
    """Whether the request presents a bearer credential at all, even an empty or unknown one:
    such a request is judged by that credential alone, never by its cookies."""
    scheme, _, _token = request.headers.get("Authorization", "").partition(" ")
    return scheme.strip().lower() == "bearer"


def protect_from_forgery() -> None:
    """CSRF for every unsafe request made with the session cookie.

    A request whose bearer token authenticates it is exempt: another site cannot add the
    header (the browser never does on its own), and such requests never use the session. An
    empty or unknown token exempts nothing: the header alone proves nothing.
    """
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    if sends_bearer() and current_user.is_authenticated:
        return  # the session loader refuses bearer requests, so only the token signed this in
    if request.path.startswith("/api/") and not _carries_login_cookie():
        return  # nobody is signed in by cookie, so there is no one to impersonate
    csrf.protect(apply_exemptions=True)  # views authenticated by a signature are exempt


def cookie_signs_someone_in() -> bool:
    """Whether the request's cookies sign somebody in (a session with a user, or a remember
    cookie), whatever else the request presents."""
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return "_user_id" in session or remember in request.cookies


def _carries_login_cookie() -> bool:
    names = (
        current_app.config["SESSION_COOKIE_NAME"],
        current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
    )
    return any(name in request.cookies for name in names)


def content_security_policy(camera_scanner: bool = False) -> str:
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
    if camera_scanner:
        # The QR scanner's ZXing decoder (static/vendor/barcode-detector) is WebAssembly, which
        # the browser compiles only with this; no other page runs WebAssembly.
        sources["script-src"] += " 'wasm-unsafe-eval'"
    extra = current_app.config.get("CSP_EXTRA_SOURCES", {})
    for directive, origin in extra.items():
        sources[directive] = f"{sources[directive]} {origin}"
    return "; ".join(f"{k} {v}" for k, v in sources.items())


def enable_camera_scanner() -> None:
    """The page being answered scans QR codes with the camera (the gate's check-in page): it
    alone may use the camera and compile the decoder's WebAssembly; every other page may not."""
    g.camera_scanner = True


def set_security_headers(response):
    scanner = bool(g.get("camera_scanner"))
    key = "koin_csp_scanner" if scanner else "koin_csp"
    policy = current_app.extensions.get(key)
    if policy is None:  # the same for every such response of an app: built once
        policy = current_app.extensions[key] = content_security_policy(camera_scanner=scanner)
    response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    camera = "(self)" if scanner else "()"
    response.headers.setdefault("Permissions-Policy", f"geolocation=(), microphone=(), camera={camera}")
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


def _only_posts() -> bool:
    return request.method != "POST"


def _config(name):
    return lambda: current_app.config[name]


# Log-in has its own throttle (accounts/throttle.py): it must know whether the password was
# right before it counts, and it answers the form and the token endpoint alike.
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


def signed_in_key() -> str:
    """Limits per account for calls made signed in; per address for anyone else.

    Loading the user began the request's transaction, which on a POST holds SQLite's write
    lock; the database-backed limiter writes its counter on its own connection and would wait
    for it until the busy timeout. Nothing is written before the limit is checked, so the
    read is ended here.
    """
    if not current_user.is_authenticated:
        return f"address:{get_remote_address()}"
    key = f"user:{current_user.id}"
    db.session.commit()
    return key


# Every request for a reset mail counts, found account or not (the answer is the same), per
# address typed and per client address: a mailbox cannot be flooded, nor addresses probed.
password_reset_limits = (
    limiter.shared_limit(
        _config("RATELIMIT_PASSWORD_RESET"), scope="reset-account", key_func=account_key, exempt_when=_only_posts
    ),
    limiter.shared_limit(
        _config("RATELIMIT_PASSWORD_RESET_ADDRESS"),
        scope="reset-address",
        key_func=get_remote_address,
        exempt_when=_only_posts,
    ),
)

verification_resend_limits = (
    limiter.shared_limit(
        _config("RATELIMIT_VERIFICATION_RESEND"),
        scope="verification-resend",
        key_func=signed_in_key,
        exempt_when=_only_posts,
    ),
)


def apply_limits(limits):
    def decorator(view):
        for limit in reversed(limits):
            view = limit(view)
        return view

    return decorator


def safe_next(target: str | None, fallback: str) -> str:
    """Only redirect to paths on this site, never to another host. Control characters (CR/LF
    would split the Location header, a 500) and invisible format characters are refused."""
    if target and not any(unicodedata.category(char)[0] in "CZ" and char != " " for char in target):
        parts = urlsplit(target)
        local = not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")
        if local and "\\" not in target:  # browsers read "/\\host" as another host
            return target
    return fallback
