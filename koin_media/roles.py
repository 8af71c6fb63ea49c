"""The roles of DESIGN.md and which of them people may choose for themselves."""

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
