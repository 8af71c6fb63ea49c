from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from ..accounts import services as accounts
from ..extensions import csrf, db
from ..jobs import queue_status, worker_status
from ..localdisk import disk_status
from ..security import cookie_signs_someone_in, safe_next
from ..storage import check_storage
from . import bp


@bp.get("/")
def index():
    return render_template("main/index.html")


@bp.post("/language")
@csrf.exempt
def set_language():
    """Switch between Indonesian and English; remembered in the session and on the account.

    An anonymous visitor's switch needs no CSRF token: a forged one changes only the
    language of a visitor who is nobody, and leaving the token out keeps anonymous pages
    cookie-free and shareable (pagecache.py). A request whose cookies sign someone in is
    checked here, as every other form is; a bearer call without such cookies needs no token,
    as everywhere (security.protect_from_forgery)."""
    if cookie_signs_someone_in():
        csrf.protect()
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            accounts.set_locale(current_user, locale)
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))


def _check_database() -> dict:
    db.session.execute(text("SELECT 1"))
    return {"ok": True, "backend": db.engine.dialect.name}


HEALTH_CHECKS = {
    "database": _check_database,
    "queue": queue_status,
    "worker": worker_status,
    "storage": check_storage,
    "disk": disk_status,
}


@bp.get("/healthz")
def healthz():
    """200 when every dependency answers, 503 naming those that do not."""
    checks, failing = {}, []
    for name, check in HEALTH_CHECKS.items():
        try:
            checks[name] = check()
        except Exception as exc:  # a health check reports failures, it does not raise them
            current_app.logger.warning("health check %s failed: %s", name, exc)
            checks[name] = {"ok": False, "error": exc.__class__.__name__}
        if not checks[name]["ok"]:
            failing.append(name)
    db.session.rollback()
    body = {"status": "ok" if not failing else "failing", "checks": checks}
    if failing:
        body["failing"] = failing
    return jsonify(body), 503 if failing else 200
