"""Notifications: one JSON POST per change or removal and target, retried, and what came
of it recorded in the archive (the `notifications` table).

The writer queues a notification with every change record of a run that has targets
(`--notify URL`, a source's `notify`); `archiver crawl` delivers what is queued once its
runs are done, under the crawl lock, so no two processes send the same one. A
notification is sent until a target answers 2xx: ATTEMPTS tries per crawl with short
pauses, then again with the next crawl, and given up ("failed") after MAX_ATTEMPTS. A
target that answered none of one notification's tries gets no more tries in that crawl.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from archiver import __version__
from archiver.store import changes

ATTEMPTS = 3
PAUSES = (0.5, 2.0)  # seconds before the second and the third attempt
MAX_ATTEMPTS = 9
TIMEOUT = 10.0


def payload(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON a target receives for one change record (a row of queries.pending_notifications)."""
    return {
        "event": row["kind"],  # changed | gone | back
        "change_id": row["change_id"],
        "detected_at": row["at"],
        "run_id": row["run_id"],
        "article": {"id": row["article_id"], "url": row["url"], "title": row["title"], "site": row["site"]},
        "fields": row["fields"],
        "words_added": row["words_added"],
        "words_removed": row["words_removed"],
        "body_share": row["body_share"],
        "from_version": row["from_version"],
        "version": row["version"],
        "reason": row["reason"],
        "diff": row["excerpt"],
    }


def post(url: str, body: bytes, *, delivery: int, timeout: float = TIMEOUT) -> tuple[bool, int | None, str | None]:
    """POST body to url: (delivered, HTTP status, error)."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": f"archiver/{__version__} (change notifications)",
        # The same id on every attempt: a receiver can drop a repeat it already has.
        "X-Archiver-Delivery": str(delivery),
    })
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return 200 <= response.status < 300, response.status, None
    except urllib.error.HTTPError as exc:
        return False, exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, None, f"{type(reason).__name__}: {reason}"[:300]


@dataclass
class Delivered:
    sent: int = 0
    pending: int = 0  # to be tried again by the next crawl
    failed: int = 0  # given up


def deliver_pending(db: sqlite_utils.Database, *, sleep: Callable[[float], None] = time.sleep,
                    log: Callable[[str], None] = lambda message: None) -> Delivered:
    """Send every queued notification; record each one's outcome. A target that answered
    none of a notification's attempts is not tried again in this call: its other
    notifications stay pending for the next crawl (a dead hook never holds up cron)."""
    done = Delivered()
    down: set[str] = set()
    for row in changes.pending_notifications(db):
        if row["target"] in down:
            done.pending += 1
            continue
        body = json.dumps(payload(row), ensure_ascii=False).encode("utf-8")
        attempts, sent, status, error = row["attempts"], False, None, None
        for attempt in range(ATTEMPTS):
            if attempt:
                sleep(PAUSES[min(attempt, len(PAUSES)) - 1])
            attempts += 1
            sent, status, error = post(row["target"], body, delivery=row["id"])
            if sent or attempts >= MAX_ATTEMPTS:
                break
        give_up = not sent and attempts >= MAX_ATTEMPTS
        changes.record_delivery(db, row["id"], sent=sent, attempts=attempts, http_status=status, error=error,
                                give_up=give_up)
        if sent:
            done.sent += 1
        elif give_up:
            done.failed += 1
            log(f"notification {row['id']} to {row['target']} given up after {attempts} attempts: {error}")
        else:
            done.pending += 1
            down.add(row["target"])
            log(f"notification {row['id']} to {row['target']} not delivered ({error}); the next crawl tries again")
    return done
