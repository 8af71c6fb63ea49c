"""KOIN Media: promotion media and eduwisata bookings for Disperin NTB and the KOIN communities."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import config as config_module
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .json_bodies import BoundedJSONProvider
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
    from . import i18n, jobs, pagecache, storage
    from .database import engine_options, install_sqlite_hooks

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
    jobs.configure(app)
    storage.init_app(app)
    pagecache.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


def _register_blueprints(app: Flask) -> None:
    from .accounts import bp as accounts_bp
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .assets import bp as assets_bp
    from .booking.views import bp as booking_bp
    from .main import bp as main_bp
    from .storage import bp as storage_bp
    from .venues import bp as venues_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(assets_bp)
    app.register_blueprint(storage_bp)
    app.register_blueprint(venues_bp)
    app.register_blueprint(booking_bp)


def _register_hooks(app: Flask) -> None:
    from . import errors, security
    from .database import start_view
    from .roles import ROLE_LABELS

    errors.init_app(app)
    app.before_request(security.protect_from_forgery)
    app.after_request(security.set_security_headers)
    # Registered last on purpose: the hooks before it read, the view writes (database.py).
    app.before_request(lambda: start_view(db.session))

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
    from .accounts.sessions import user_for_session
    from .security import sends_bearer

    if sends_bearer():
        return None  # a request with a token (even an empty one) is judged by the token alone
    return user_for_session(session_id)


@login_manager.request_loader
def _load_user_from_token(request):
    from .accounts.services import user_for_token
    from .security import bearer_token

    plain = bearer_token()
    return user_for_token(plain) if plain else None


@login_manager.unauthorized_handler
def _unauthorized():
    from flask import flash, redirect, request, url_for

    from .access import wants_json
    from .errors import error_response

    if wants_json():
        return error_response(401)
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(url_for(login_manager.login_view, next=request.full_path.rstrip("?")))
