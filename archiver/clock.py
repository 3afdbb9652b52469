"""archiver's clock: the one place the time of day is read.

Every time the archive keeps (fetch times, runs, revisits and watch checks,
change records, exports' default names) comes from `now()`. The environment
variable ARCHIVER_NOW (an ISO 8601 time; UTC when it names no zone) sets it,
so a schedule can be replayed without waiting: the clock then stands still at
that time for the whole command. Liveness timers (timeouts, idle workers,
retries' pauses) keep real time.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

ENV = "ARCHIVER_NOW"


class ClockError(ValueError):
    """ARCHIVER_NOW holds something that is not an ISO 8601 time."""


def parse_time(text: str) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime; a bare day is its midnight UTC."""
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ClockError(f"{text!r} is not an ISO 8601 time (e.g. 2024-03-06T08:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def now() -> datetime:
    """The current time in UTC, or ARCHIVER_NOW's when it is set."""
    fixed = os.environ.get(ENV, "").strip()
    if fixed:
        try:
            return parse_time(fixed)
        except ClockError as exc:
            raise ClockError(f"{ENV}: {exc}") from None
    return datetime.now(timezone.utc)


def stamp(moment: datetime | None = None) -> str:
    """A time as archiver stores it: ISO 8601 UTC to the second (now when none is given)."""
    return (moment or now()).astimezone(timezone.utc).isoformat(timespec="seconds")
