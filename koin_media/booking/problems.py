"""Why a booking action was refused: a stable code for programs, a sentence for people."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import STATUS_LABELS

MESSAGES = {
    # the request itself
    "consent_missing": _l("Confirm that the parents or guardians have agreed to the visit."),
    "bad_phone": _l("Enter an Indonesian phone number, for example 0812 3456 7890."),
    "contact_missing": _l("Enter the name of the contact person for the visit."),
    "level_not_offered": _l("This program is not offered to %(level)s groups. It is for: %(levels)s."),
    "level_not_taught": _l(
        "%(school)s is recorded as teaching %(levels)s, not %(level)s. Check the level, or confirm that this "
        "group really is %(level)s."
    ),
    "group_too_small": _l("This program needs at least %(minimum)s students."),
    "group_too_large": _l("This program takes at most %(maximum)s students per group."),
    "too_few_teachers": _l("Bring at least %(needed)s teachers for %(students)s students (one for every %(ratio)s)."),
    # the slot
    "slot_not_found": _l("This session does not exist."),
    "slot_closed": _l("This session is closed for bookings."),
    "slot_past": _l("This session has already started."),
    "slot_full": _l("There are not enough free places left in this session for %(headcount)s people."),
    "other_venue": _l("A booking can only be moved to another session at the same venue."),
    # the school
    "not_a_school": _l("Only a school account can book a visit."),
    "email_unverified": _l(
        "Confirm your e-mail address before you book: open the link we sent you, or send it again with the "
        "button at the top of the page."
    ),
    "school_unverified": _l(
        "Your school must be verified by the KOIN office before it can book: staff check its NPSN and that you "
        "work there, usually within one working day. We e-mail you as soon as you can book; your account page "
        "shows where it stands."
    ),
    "coordinator_pending": _l(
        "Your account is waiting for approval to act for this school, by office staff or by a coordinator of the "
        "school who is already approved. Until then you cannot see, make or change the school's bookings. We "
        "e-mail you as soon as you are approved."
    ),
    "coordinator_rejected": _l(
        "Your request to act for this school was declined. If this is a mistake, contact the KOIN office."
    ),
    "duplicate_request": _l("Your school already has a request for this session."),
    "too_many_pending": _l("Your school already has %(maximum)s requests waiting for a decision."),
    # decisions and changes
    "not_allowed": _l("You may not do this with this booking."),
    "wrong_status": _l("This cannot be done while the booking is %(status)s."),
    "status_changed": _l("Someone else changed this booking meanwhile. Reload it and try again."),
    "request_expired": _l("This request expired before it was decided."),
    "reason_required": _l("Give a reason; the school will see it."),
    "cancel_window_passed": _l(
        "Bookings can be cancelled online until %(hours)s hours before the visit. Please call the venue."
    ),
    "check_in_not_open": _l("Check-in opens %(minutes)s minutes before the session starts."),
    "slot_not_ended": _l("This can only be done after the session has ended."),
    "attendance_invalid": _l("The number of people who came must be between 0 and the number booked."),
    "headcount_no_room": _l(
        "Only %(remaining)s more places are free in this session: the group can grow by at most that many."
    ),
    # the waitlist
    "offer_not_open": _l("There is no open offer of places for this request."),
    "offer_lapsed": _l("The offer of places has lapsed."),
    # alternatives held after a closure (visits/reschedule.py)
    "alternative_lapsed": _l(
        "This session is no longer held for your school: the offer lapsed. Choose another one or call the venue."
    ),
    "reschedule_answered": _l("This booking was already moved or cancelled after the closure."),
    # after the visit (visits/certificates.py, visits/feedback.py)
    "not_completed": _l("This is available once the visit is completed."),
    "feedback_closed": _l("Feedback can be changed until %(days)s days after it was sent; that time has passed."),
    "rating_invalid": _l("Choose a rating from %(minimum)s to %(maximum)s."),
    "comment_too_long": _l("Keep the comment to at most %(maximum)s characters."),
}

# The form field a refusal is about, for APIs that answer 422 with errors per field.
FIELDS = {
    "consent_missing": "consent",
    "bad_phone": "contact_phone",
    "contact_missing": "contact_name",
    "level_not_offered": "level",
    "level_not_taught": "level",
    "group_too_small": "students",
    "group_too_large": "students",
    "too_few_teachers": "teachers",
    "slot_not_found": "slot_id",
    "slot_closed": "slot_id",
    "slot_past": "slot_id",
    "slot_full": "slot_id",
    "other_venue": "slot_id",
    "reason_required": "reason",
    "attendance_invalid": "attended_students",
    "rating_invalid": "rating",
    "comment_too_long": "comment",
}

# Refusals about the state of shared things rather than the request: HTTP 409, not 422.
CONFLICTS = frozenset(
    {
        "slot_full",
        "headcount_no_room",
        "duplicate_request",
        "too_many_pending",
        "wrong_status",
        "status_changed",
        "request_expired",
        "alternative_lapsed",
        "reschedule_answered",
        "not_completed",
        "feedback_closed",
    }
)


# Refusals about who is asking rather than what: HTTP 403.
FORBIDDEN = frozenset({"not_allowed", "coordinator_pending", "coordinator_rejected", "email_unverified"})


class BookingRefused(Exception):
    """A booking rule said no. ``code`` is stable (API ``error``); ``message`` is translated."""

    def __init__(self, code: str, message_params: dict | None = None):
        if code not in MESSAGES:
            raise ValueError(f"unknown refusal code {code!r}")
        self.code = code
        self.message_params = dict(message_params or {})
        super().__init__(code, self.message_params)

    @property
    def field(self) -> str | None:
        return FIELDS.get(self.code)

    @property
    def is_conflict(self) -> bool:
        return self.code in CONFLICTS

    @property
    def is_forbidden(self) -> bool:
        return self.code in FORBIDDEN

    @property
    def message(self) -> str:
        """The sentence in the current locale (needs an app context)."""
        text = str(MESSAGES[self.code])
        if not self.message_params:
            return text
        params = dict(self.message_params)
        if "status" in params:
            params["status"] = str(STATUS_LABELS.get(params["status"], params["status"])).lower()
        return text % params

    def __str__(self) -> str:
        return f"{self.code} {self.message_params}" if self.message_params else self.code
