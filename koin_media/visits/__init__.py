"""What a school and the office do around a visit, beyond the booking itself: reminders that
ask for the final headcount, alternatives offered after a closure, the certificate of
attendance and the feedback afterwards, and the gate's offline check-in. Above ``booking``
(it changes bookings only through booking's services and capacity), below ``notifications``
(which hears about it through ``visits.signals``)."""

from flask import Blueprint

bp = Blueprint("visits", __name__)
