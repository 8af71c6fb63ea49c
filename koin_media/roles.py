"""The roles of DESIGN.md and which of them people may choose for themselves."""

from flask import current_app
from flask_babel import lazy_gettext as _l

CREATOR = "creator"
IKM = "ikm"
SCHOOL = "school"
VENUE_MANAGER = "venue_manager"
STAFF = "staff"
ADMIN = "admin"

ROLES = (CREATOR, IKM, SCHOOL, VENUE_MANAGER, STAFF, ADMIN)
SELF_SERVICE_ROLES = (CREATOR, IKM, SCHOOL)

ROLE_LABELS = {
    CREATOR: _l("Creator"),
    IKM: _l("Local business (IKM)"),
    SCHOOL: _l("School"),
    VENUE_MANAGER: _l("Venue manager"),
    STAFF: _l("Office staff"),
    ADMIN: _l("Administrator"),
}

# Where each role's daily work is: the page it lands on after logging in (issue 10, point 11).
# Endpoint names, not imports: roles sit below every feature. A role may list fallbacks, first
# existing wins (the managers' inbox is newer than their booking list).
HOME_ENDPOINTS = {
    CREATOR: ("assets.mine",),
    IKM: ("assets.catalog",),
    SCHOOL: ("booking.my_bookings",),
    VENUE_MANAGER: ("booking.inbox", "booking.manage_list"),
    STAFF: ("admin.queues",),
    ADMIN: ("admin.queues",),
}
FALLBACK_HOME = "main.index"


def home_endpoint(user) -> str:
    """The endpoint of the page where ``user``'s work is (the home page for anyone else)."""
    views = current_app.view_functions
    for endpoint in HOME_ENDPOINTS.get(getattr(user, "role", None), ()):
        if endpoint in views:
            return endpoint
    return FALLBACK_HOME
