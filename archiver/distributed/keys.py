"""Names of a distributed run's Redis keys, and run ids. Pure: no Redis here.

Every run has keys of its own (`<prefix>:run:<run id>:<job>:requests`, ...),
so a scheduled run is never filtered away by the duplicate filter of the last
one. Items travel on one list for all runs; the writer files them by run.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime

from archiver import clock

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id: UTC time plus a few random hex digits."""
    now = now or clock.now()
    return now.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


@functools.cache
def worker_name() -> str:
    """This process as a worker: host, pid, and a few random digits (containers reuse pids)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


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

    @property
    def workers(self) -> str:
        """Sorted set: worker name -> time of its last heartbeat."""
        return f"{self.prefix}:workers"

    def worker(self, name: str) -> str:
        """A worker's heartbeat: gone when the worker has not beaten for ARCHIVER_WORKER_TTL."""
        return f"{self.prefix}:worker:{name}"

    def worker_jobs(self, name: str) -> str:
        """Set of "run job" a worker has taken requests from (where its leases are)."""
        return f"{self.prefix}:worker:{name}:jobs"

    @property
    def fetch_states(self) -> str:
        """Hash: URL -> what the archive remembers of its last fetch (published by ingest)."""
        return f"{self.prefix}:fetch-states"

    @property
    def fetch_states_published(self) -> str:
        return f"{self.prefix}:fetch-states:published"

    def site_budget(self, host: str) -> str:
        """Hash of one site's shared politeness budget: next allowed request time, requests in flight."""
        return f"{self.prefix}:site:{host}"

    def jobs(self, run: str) -> str:
        """Hash: job name -> JSON spec (spider arguments, politeness settings)."""
        return f"{self.prefix}:run:{run}:jobs"

    def job(self, run: str, job: str, what: str) -> str:
        """seeds, requests, dupefilter, pages, leases, requeued, done, workers, status."""
        return f"{self.prefix}:run:{run}:{job}:{what}"

    def job_keys(self, run: str, job: str) -> list[str]:
        return [self.job(run, job, what)
                for what in ("seeds", "requests", "dupefilter", "pages", "leases", "requeued", "done")]
