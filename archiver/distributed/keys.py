"""Names of a distributed run's Redis keys, and run ids. Pure: no Redis here.

Every run has keys of its own (`<prefix>:run:<run id>:<job>:requests`, ...),
so a scheduled run is never filtered away by the duplicate filter of the last
one. Items travel on one list for all runs; the writer files them by run.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id: UTC time plus a few random hex digits."""
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def check_name(kind: str, value: str) -> str:
    """A run id or job name usable inside a key; ValueError otherwise."""
    if not _NAME.match(value or ""):
        raise ValueError(f"{kind} {value!r}: use letters, digits, '.', '_' or '-' (at most 80)")
    return value


@dataclass(frozen=True)
class Keys:
    prefix: str = "archiver"

    @property
    def current_run(self) -> str:
        """The run the last `archiver enqueue` started: where workers go by default."""
        return f"{self.prefix}:current-run"

    @property
    def runs(self) -> str:
        return f"{self.prefix}:runs"

    @property
    def items(self) -> str:
        return f"{self.prefix}:items"

    @property
    def processing(self) -> str:
        """Items the writer has taken but not yet committed."""
        return f"{self.prefix}:items:processing"

    @property
    def rejected(self) -> str:
        return f"{self.prefix}:items:rejected"

    @property
    def ingest_lock(self) -> str:
        return f"{self.prefix}:ingest:lock"

    def jobs(self, run: str) -> str:
        """Hash: job name -> JSON spec (spider arguments, politeness settings)."""
        return f"{self.prefix}:run:{run}:jobs"

    def job(self, run: str, job: str, what: str) -> str:
        """seeds, requests, dupefilter, pages, active, workers, status."""
        return f"{self.prefix}:run:{run}:{job}:{what}"

    def job_keys(self, run: str, job: str) -> list[str]:
        return [self.job(run, job, what) for what in ("seeds", "requests", "dupefilter", "pages", "active")]
