"""Settings read from the environment that must stay within a range: a bad value stops the app
at startup with the variable's name, instead of a lapse at once or a 500 much later."""

import pytest

from koin_media.config import from_environment

BOUNDED = [
    ("KOIN_RESCHEDULE_HOLD_HOURS", "RESCHEDULE_HOLD_HOURS", 1, 720),
    ("KOIN_FEEDBACK_EDIT_DAYS", "FEEDBACK_EDIT_DAYS", 1, 365),
]


@pytest.mark.parametrize(("variable", "setting", "low", "high"), BOUNDED)
def test_a_duration_at_its_bounds_is_taken(monkeypatch, variable, setting, low, high):
    for value in (low, high):
        monkeypatch.setenv(variable, str(value))
        assert from_environment()[setting] == value


@pytest.mark.parametrize(("variable", "setting", "low", "high"), BOUNDED)
@pytest.mark.parametrize("offset", ["zero", "negative", "above", "huge"])
def test_a_duration_out_of_range_is_refused_at_startup(monkeypatch, variable, setting, low, high, offset):
    value = {"zero": 0, "negative": -5, "above": high + 1, "huge": 10**12}[offset]
    monkeypatch.setenv(variable, str(value))
    with pytest.raises(ValueError, match=rf"{variable} must be a whole number from {low} to {high}"):
        from_environment()
