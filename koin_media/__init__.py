"""KOIN Media: promotion media and eduwisata bookings for Disperin NTB and the KOIN communities."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, ValidationError

from . import config as config_module
from . import errors, i18n, pagecache, security, storage
from .access import may_visit, nav_badge, nav_total, wants_json
from .accounts.services import user_for_token
from .accounts.sessions import user_for_session
from .database import engine_options, install_sqlite_hooks, start_view
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .json_bodies import BoundedJSONProvider
from .roles import ROLE_LABELS
from .validators import MAX_DATABASE_ID

PROJECT_ROOT = config_module.PROJECT_ROOT


class InsecureConfiguration(RuntimeError):
    pass


class DatabaseId(IntegerConverter):
    """``<int:…>`` in URLs, up to the largest database integer: a larger number is a 404,
    not an overflow inside the database driver."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DATABASE_ID)
        super().__init__(url_map, *args, **kwargs)

    def to_python(self, value):
        # Werkzeug answers a refused conversion with the methods of the rules of that path it
        # tried first: POST /api/v1/assets/<too large> became a 405 because of the GET rule.
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


def create_app(config: dict | None = None) -> Flask:
    """Build the app from the environment, then let ``config`` (tests) override settings."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(config_module.INSTANCE_DIR),
    )
    app.url_map.converters["int"] = DatabaseId
    app.json = BoundedJSONProvider(app)  # a deeply nested body is a 400, not a RecursionError
    config_module.load_dotenv_file()
    app.config.update(config_module.from_environment())
    app.config.update(config_module.FIXED)
    if config:
        app.config.update(config)
    _refuse_insecure_defaults(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    _init_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)

    # The CLI names every feature's commands: imported when an app is built, like the views.
    from . import cli

    cli.init_app(app)
    return app


def _refuse_insecure_defaults(app: Flask) -> None:
    if app.debug or app.testing:
        return
    if app.config["SECRET_KEY"] == config_module.DEV_SECRET_KEY:
        raise InsecureConfiguration(
            "KOIN Media will not start with the built-in secret key outside debug and testing. "
            "Set KOIN_SECRET_KEY to a long random value, for example the output of: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )


def _init_extensions(app: Flask) -> None:
    busy_timeout_ms = app.config["DATABASE_BUSY_TIMEOUT_MS"]
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"], busy_timeout_ms)
    )
    db.init_app(app)
    with app.app_context():
        install_sqlite_hooks(db.engine, busy_timeout_ms)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.init_app(app)
    from . import ratelimit  # noqa: F401  (registers the database:// store before the limiter reads its URI)

    limiter.init_app(app)
    storage.init_app(app)
    pagecache.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


def _register_blueprints(app: Flask) -> None:
    """Every view module is named here: importing one attaches its routes to its package's
    blueprint, and nothing else imports views, so loading a model never loads a page."""
    # In the factory, not at the top: importing any module of the package runs this file first.
    from . import main, notifications
    from .accounts import bp as accounts_bp
    from .accounts import coordinator_routes, school_routes, session_routes
    from .accounts import routes as account_routes
    from .admin import bp as admin_bp
    from .admin import routes as admin_routes
    from .api import after_visit as api_after_visit
    from .api import assets as api_assets
    from .api import auth as api_auth
    from .api import bookings as api_bookings
    from .api import bp as api_bp
    from .api import calls as api_calls
    from .api import collections as api_collections
    from .api import downloads as api_downloads
    from .api import kits as api_kits
    from .api import notices as api_notices
    from .api import openapi as api_openapi
    from .api import reference as api_reference
    from .api import reschedule as api_reschedule
    from .api import schools as api_schools
    from .api import users as api_users
    from .api import venues as api_venues
    from .assets import bp as assets_bp
    from .assets import crops as asset_crops
    from .assets import focus_routes, moderation, renditions, rights_jobs, rights_routes, share_routes, upload_routes
    from .assets import jobs as asset_jobs
    from .assets import routes as asset_routes
    from .booking import bp as booking_bp
    from .booking import checkin_views, files_routes, manage_lists, reports, schedule_views
    from .booking import jobs as booking_jobs
    from .booking import venue_pages as booking_venue_pages
    from .booking import views as booking_views
    from .insights import bp as insights_bp
    from .insights import routes as insights_routes
    from .main import routes as main_routes
    from .notifications import routes as notice_routes
    from .promo import bp as promo_bp
    from .promo import call_routes, collection_routes, kit_routes
    from .promo import jobs as promo_jobs
    from .storage import bp as storage_bp
    from .storage import routes as storage_routes
    from .venues import bp as venues_bp
    from .venues import pages as venue_pages
    from .visits import bp as visits_bp
    from .visits import (
        certificate_routes,
        feedback_routes,
        gate_routes,
        headcount_routes,
        reschedule_jobs,
        reschedule_routes,
    )
    from .visits import reschedule as visit_reschedule

    views = (
        account_routes, coordinator_routes, session_routes, admin_routes, main_routes, storage_routes,
        api_assets, api_auth, api_bookings, api_openapi, api_reference, api_schools, api_users, api_venues,
        api_downloads,
        asset_routes, moderation, upload_routes, booking_views, files_routes, manage_lists, booking_venue_pages,
        checkin_views, reports, venue_pages, schedule_views, school_routes,
        api_notices, notice_routes,
        kit_routes, api_kits,
        collection_routes, api_collections,
        call_routes, api_calls,
        share_routes,
        rights_routes,
        focus_routes,
        reschedule_routes, api_reschedule,
        certificate_routes, feedback_routes, api_after_visit,
        insights_routes,
        gate_routes,
        headcount_routes,
    )  # fmt: skip
    # Their tasks join the queue when imported.
    jobs = (asset_jobs, renditions, booking_jobs, rights_jobs, asset_crops, promo_jobs, reschedule_jobs)
    app.extensions["koin_views"] = tuple(module.__name__ for module in views + jobs)

    blueprints = (
        main.bp, accounts_bp, api_bp, admin_bp, assets_bp, promo_bp, storage_bp, venues_bp, booking_bp, visits_bp,
        insights_bp,
    )  # fmt: skip
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    app.register_blueprint(notifications.bp)
    notifications.init_app(app)
    visit_reschedule.connect()  # closures offer alternatives (booking_changed, like the mails)


def _register_hooks(app: Flask) -> None:

    errors.init_app(app)
    app.before_request(security.protect_from_forgery)
    app.after_request(security.set_security_headers)
    # Registered last on purpose: the hooks before it read, the view writes (database.py).
    app.before_request(lambda: start_view(db.session))

    app.add_template_global(may_visit)
    app.add_template_global(nav_badge)
    app.add_template_global(nav_total)

    @app.context_processor
    def template_globals():
        return {"role_labels": ROLE_LABELS}

    @app.teardown_request
    def _end_request_state(_exc):
        # Flask reuses an app context that is already pushed (CLI, tests), so what belongs to
        # one request must end with it: its transaction (and SQLite lock), and what it kept on
        # ``g`` (the signed-in user, the CSRF token of its session). A request that never used
        # the database (a page served from memory) has no session to end.
        if db.session.registry.has():
            db.session.rollback()
        for name in list(vars(g)):
            delattr(g, name)


# Flask-Login: the session and remember cookies hold the key of a server-side session row
# (accounts/sessions.py), so log-out and a new password end them; the API uses bearer tokens.
@login_manager.user_loader
def _load_user_from_session(session_id: str):
    if security.sends_bearer():
        return None  # a request with a token (even an empty one) is judged by the token alone
    return user_for_session(session_id)


@login_manager.request_loader
def _load_user_from_token(_request):
    plain = security.bearer_token()
    return user_for_token(plain) if plain else None


@login_manager.unauthorized_handler
def _unauthorized():
    if wants_json():
        return errors.error_response(401)
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(url_for(login_manager.login_view, next=request.full_path.rstrip("?")))
