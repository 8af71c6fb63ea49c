"""The usage-rights job: warnings before, and expiry at, each asset's usable-until date.

Hourly at minute 5 (Huey's crontab is UTC): the run at 16:05 UTC is 00:05 WITA, the first of
each Lombok day, and the other runs are the safety net for a worker that was down. Until a run
has moved an asset whose day is over to EXPIRED, ``Asset.usage_ended`` already keeps it from
being downloaded and from the catalogue (see catalog.py ``_rights_guard``).
"""

from __future__ import annotations

from huey import crontab

from ..jobs import periodic_job
from . import rights


@periodic_job(crontab(minute="5"))
def usage_rights() -> dict:
    return {"expired": rights.expire_ended(), "warned": rights.warn_before()}
