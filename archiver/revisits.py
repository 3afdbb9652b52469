"""The revisit policy: whether an archived URL is fetched again, and how. Pure: no Scrapy, no SQL.

What the archive remembers of a URL (its FetchState) comes from a FetchStates
source; RevisitMiddleware (archiver.middlewares) asks it for every article
request and applies `revisit()`. A source is anything with `get(url)` and
`close()`: the SQLite archive on one machine, another store for workers that
never open the archive (the ARCHIVER_FETCH_STATES setting names it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

# Spiders mark an article request with meta ARTICLE_META (True when the user named the
# URL: it then gets a line in the run's pages), and a watch check also with CHECK_META;
# the middleware leaves its Revisit under REVISIT_META.
ARTICLE_META = "archiver_listed"
CHECK_META = "archiver_check"
REVISIT_META = "archiver_revisit"

# The mode of a run that only makes the watch checks that are due.
WATCH_MODE = "watch"

# What to do with an article request.
FETCH = "fetch"  # nothing archived to compare with: fetch it
CONDITIONAL = "conditional"  # archived and due: fetch, and let the server answer 304 if unchanged
NOT_DUE = "not_due"  # archived recently: do not fetch


@dataclass(frozen=True)
class FetchState:
    """What the archive remembers of a URL's last fetch."""

    url: str
    fetched_at: datetime
    archived: bool  # the last fetch stored (or confirmed) an article
    etag: str | None = None
    last_modified: str | None = None
    # The WARC record holding the URL's last payload in full (record_id, uri, date,
    # payload_digest), when a crawl wrote one: an identical payload becomes a revisit.
    last_capture: Mapping[str, str] | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> FetchState:
        """From a mapping with url, fetched_at (ISO 8601), archived, etag, last_modified and
        optionally payload_digest, warc_record_id, warc_target_uri, warc_date."""
        fetched_at = datetime.fromisoformat(record["fetched_at"])
        if fetched_at.tzinfo is None:  # archiver writes UTC times
            fetched_at = fetched_at.replace(tzinfo=timezone.utc)
        capture = None
        if record.get("payload_digest") and record.get("warc_record_id"):
            capture = {"record_id": record["warc_record_id"], "uri": record.get("warc_target_uri") or record["url"],
                       "date": record.get("warc_date") or "", "payload_digest": record["payload_digest"]}
        return cls(url=record["url"], fetched_at=fetched_at, archived=bool(record.get("archived")),
                   etag=record.get("etag") or None, last_modified=record.get("last_modified") or None,
                   last_capture=capture)


class FetchStates(Protocol):
    """A source of fetch states."""

    def get(self, url: str) -> FetchState | None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Revisit:
    """The policy's answer for one URL: FETCH, CONDITIONAL (with validators) or NOT_DUE, and why."""

    action: str
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    state: FetchState | None = None  # what the decision was made from


def revisit(state: FetchState | None, now: datetime, interval: timedelta) -> Revisit:
    """Fetch what was never archived; an archived URL only once `interval` has passed since
    its last fetch, and then with If-None-Match / If-Modified-Since."""
    if state is None:
        return Revisit(FETCH, "never fetched")
    if not state.archived:
        return Revisit(FETCH, "nothing archived from the last fetch", state=state)
    fetched = state.fetched_at.isoformat(timespec="seconds")
    due = state.fetched_at + interval
    when = f"fetched {fetched}, due {due.isoformat(timespec='seconds')}"
    if now < due:
        return Revisit(NOT_DUE, f"not due for a revisit ({when})", state=state)
    return Revisit(CONDITIONAL, f"due for a revisit ({when})", _validators(state), state)


def _validators(state: FetchState) -> dict[str, str]:
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def check(state: FetchState | None) -> Revisit:
    """A watch check, due by its own schedule (next_check): fetched now, conditionally
    when the archive holds the article."""
    if state is None or not state.archived:
        return Revisit(FETCH, "watch check", state=state)
    return Revisit(CONDITIONAL, "watch check", _validators(state), state)


def rechecks(meta: Mapping[str, Any]) -> bool:
    """True when a request fetches again an article the archive holds (a watch check or a
    due revisit): a page saying the story is gone then marks the article gone."""
    decision = meta.get(REVISIT_META)
    return bool(meta.get(CHECK_META)) or (decision is not None and decision.action == CONDITIONAL)


def not_fetched(meta: Mapping[str, Any]) -> bool:
    """True when a request's revisit was not due: it was answered from the archive, never sent."""
    decision = meta.get(REVISIT_META)
    return decision is not None and decision.action == NOT_DUE


# --- the watch schedule ----------------------------------------------------------
# A watched article is checked again after each of these intervals in turn, counted
# from the last check (or from when it was archived, changed, went or came back:
# every change starts the schedule again from the first interval), then every
# WATCH_INTERVALS[-1], for as long as its window lasts from its first archiving.
WATCH_INTERVALS = (
    timedelta(hours=1),  # edits right after publication: typos, headline changes
    timedelta(hours=3),
    timedelta(hours=9),
    timedelta(days=1),  # the next day's corrections
    timedelta(days=3),
    timedelta(days=7),  # then weekly: late corrections and removals
)


@dataclass(frozen=True)
class Watch:
    """Where a watched article's checks stand."""

    url: str
    started: datetime  # the window counts from here: when the article was first archived
    window: timedelta
    last: datetime  # the last check, or when the schedule last started again
    step: int = 0  # checks made since `last` started the schedule

    @classmethod
    def from_record(cls, record: Mapping[str, Any], window: timedelta | None = None) -> Watch:
        """From a mapping with url, started_at, window (seconds), last_at, step; `window`
        replaces the stored one (a source's window as its file says it now)."""
        def utc(text: str) -> datetime:
            moment = datetime.fromisoformat(text)
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

        return cls(url=record["url"], started=utc(record["started_at"]),
                   window=window if window is not None else timedelta(seconds=record["window"] or 0),
                   last=utc(record["last_at"]), step=int(record.get("step") or 0))


def next_check(watch: Watch) -> datetime | None:
    """When the next check is due; None once it would fall after the window's end."""
    interval = WATCH_INTERVALS[min(watch.step, len(WATCH_INTERVALS) - 1)]
    due = watch.last + interval
    return due if due <= watch.started + watch.window else None


def check_due(watch: Watch, now: datetime) -> bool:
    due = next_check(watch)
    return due is not None and now >= due


def observed(watch: Watch, at: datetime, *, changed: bool) -> Watch:
    """The watch after a look at the page at `at`: a change (new version, gone, back)
    starts the schedule again; otherwise it moves on to the next, longer interval."""
    return replace(watch, last=at, step=0 if changed else watch.step + 1)
