"""Fixtures shared by the booking page, API and journey tests: a session with room for 100,
a verified school coordinator, and a manager of the session's venue."""

import pytest

from koin_media.extensions import db

from .booking_helpers import make_slot, school_user


@pytest.fixture
def slot(app):
    return make_slot(capacity=100)


@pytest.fixture
def school(app):
    return school_user()


@pytest.fixture
def manager(app, factory, slot):
    user = factory.user("venue_manager")
    slot.program.venue.managers.append(user)
    db.session.commit()
    return user
