"""Access control in one place: who may call a view, and who may see an object.

Anonymous users are sent to log in (HTML) or get 401 (JSON); a signed-in user with the wrong
role gets 403; someone else's object is a 404, so its existence is not revealed.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, request
from flask_login import current_user

from .extensions import db, login_manager
from .roles import STAFF

# The offline gate's day list and sync (visits/gate_routes.py) are read by a script only.
JSON_PATHS = ("/api/", "/uploads/", "/gate/")


def wants_json() -> bool:
    """JSON for the API, the upload protocol and clients that ask for it; HTML otherwise."""
    if request.path.startswith(JSON_PATHS):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def roles_required(*roles: str):
    """Require a signed-in user; with roles given, one of them (admins pass every check)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_roles = roles
        return wrapper

    return decorator


login_required = roles_required()


def may_visit(endpoint: str, user=current_user) -> bool:
    """Whether ``user`` passes the guard of the view behind ``endpoint``: the navigation and
    any link to a guarded page ask this, so the roles are written once, on the view.
    ``functools.wraps`` carries ``required_roles`` through the decorators stacked above."""
    roles = getattr(current_app.view_functions[endpoint], "required_roles", None)
    if roles is None:
        return True  # an open page
    return bool(user.is_authenticated) and (not roles or user.has_role(*roles))


def nav_count(counter):
    """Give a view the number its navigation link shows (pending requests, a review queue).

    ``counter(user)`` returns an int; the navigation asks ``nav_badge(endpoint)``, which counts
    only for someone who may visit the view and at most once per request. Like
    ``required_roles``, the attribute rides through ``functools.wraps`` of the guards above."""

    def decorator(view):
        view.nav_count = counter
        return view

    return decorator


def nav_badge(endpoint: str, user=current_user) -> int:
    """The count beside ``endpoint``'s link in the navigation: 0 without a counter or access."""
    counter = getattr(current_app.view_functions[endpoint], "nav_count", None)
    if counter is None or not user.is_authenticated or not may_visit(endpoint, user):
        return 0
    counted = g.setdefault("nav_counts", {})
    if endpoint not in counted:
        counted[endpoint] = counter(user)
    return counted[endpoint]


def nav_total(user=current_user) -> int:
    """Every count the navigation shows this user, added up: the folded phone menu's badge, so
    a waiting request is not hidden behind "Menu"."""
    if not user.is_authenticated:
        return 0
    return sum(nav_badge(name, user) for name in _counted_endpoints(current_app))


def _counted_endpoints(app) -> tuple[str, ...]:
    """The endpoints with a navigation count, found once per app (views are registered before
    the first request), not by walking every view on every page."""
    counted = app.extensions.get("koin_nav_counted")
    if counted is None:
        counted = tuple(name for name, view in app.view_functions.items() if hasattr(view, "nav_count"))
        app.extensions["koin_nav_counted"] = counted
    return counted


def is_staff(user=current_user) -> bool:
    return user.is_authenticated and user.has_role(STAFF)


def get_or_404(model, ident, owner_attr: str | None = None):
    """Load ``model`` by primary key; with ``owner_attr``, only its owner (or staff) may see it."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    if owner_attr is not None and not is_staff():
        if not current_user.is_authenticated or getattr(obj, owner_attr) != current_user.id:
            abort(404)
    return obj
