"""The archive's fetch states in Redis, so workers apply the same revisit policy as one machine.

`archiver ingest` publishes, for every URL that holds an archived article, when
it was last fetched and its validators (ETag, Last-Modified): all of them when
it starts, then those of every batch it commits. Workers read them through
RedisFetchStates (the ARCHIVER_FETCH_STATES of a worker), a few hundred URLs a
round trip and cached for the job, since the revisit middleware asks for one
URL at a time on the reactor thread.
"""

from __future__ import annotations

import html
import json
import logging
import re
import time

from archiver.distributed.keys import Keys
from archiver.normalize.urls import canonical_url
from archiver.revisits import FetchState
from archiver.store.queries import archived_fetch_states

logger = logging.getLogger(__name__)

PUBLISH_CHUNK = 1000
# Links in HTML (href), RSS/Atom (<link>) and sitemaps (<loc>): what a page's callback may request.
_LINK = re.compile(rb"""href\s*=\s*["']([^"'<>]+)["']|<(?:link|loc)>\s*([^<\s]+)\s*<""", re.IGNORECASE)


def _value(row: dict) -> str:
    return json.dumps([row["fetched_at"], row.get("etag"), row.get("last_modified")], separators=(",", ":"))


class FetchStatePublisher:
    """The writer's side: mirrors the archive's fetch states into Redis."""

    def __init__(self, client, keys: Keys, log=None):
        self.client, self.keys = client, keys
        self.log = log or (lambda text: None)
        self.failed = False

    def publish_all(self, db) -> int:
        n = self._publish(archived_fetch_states(db))
        self._safely(lambda: self.client.set(self.keys.fetch_states_published, f"{time.time():.0f}"))
        return n

    def publish(self, db, urls: list[str]) -> int:
        return self._publish(archived_fetch_states(db, [u for u in urls if u]))

    def _publish(self, rows) -> int:
        n, chunk = 0, {}
        for row in rows:
            chunk[row["url"]] = _value(row)
            if len(chunk) >= PUBLISH_CHUNK:
                n += self._send(chunk)
                chunk = {}
        if chunk:
            n += self._send(chunk)
        return n

    def _send(self, chunk: dict) -> int:
        return len(chunk) if self._safely(lambda: self.client.hset(self.keys.fetch_states, mapping=chunk)) else 0

    def _safely(self, call) -> bool:
        from redis.exceptions import OutOfMemoryError

        try:
            call()
            return True
        except OutOfMemoryError:
            # Workers then fetch those pages again, conditionally where they can: never lost.
            if not self.failed:
                self.log("Redis is full: fetch states not published (workers may fetch some pages again)")
            self.failed = True
            return False


class RedisFetchStates:
    """A worker's FetchStates source (archiver.revisits): the states `archiver ingest` published."""

    def __init__(self, client, keys: Keys):
        self.client, self.key = client, keys.fetch_states
        self.cache: dict[str, FetchState | None] = {}
        self.published = bool(client.exists(keys.fetch_states_published))
        if not self.published:
            logger.warning("no fetch states in Redis yet (`archiver ingest` publishes them when it starts): "
                           "every page is fetched as if never archived")

    @classmethod
    def from_crawler(cls, crawler):
        from archiver.distributed import registry
        from archiver.distributed.config import keys_of

        return cls(registry.connect(crawler.settings.get("ARCHIVER_REDIS_URL")), keys_of(crawler.settings))

    def prefetch(self, urls: list[str]) -> None:
        wanted = [u for u in dict.fromkeys(urls) if u not in self.cache]
        if not wanted or not self.published:
            return
        values = self._read(lambda: self.client.hmget(self.key, wanted))
        for url, value in zip(wanted, values or []):
            self.cache[url] = self._state(url, value)

    def prefetch_links(self, response) -> None:
        """Look up every URL the page links to (href, and feeds' and sitemaps' link and loc)."""
        body = getattr(response, "body", b"") or b""
        urls = []
        for match in _LINK.finditer(body):
            href = (match.group(1) or match.group(2) or b"").strip().decode("utf-8", "replace")
            url = canonical_url(response.urljoin(html.unescape(href))) if href else None
            if url:
                urls.append(url)
        self.prefetch(urls)

    def get(self, url: str) -> FetchState | None:
        if url in self.cache or not self.published:
            return self.cache.get(url)
        value = self._read(lambda: self.client.hget(self.key, url))
        state = self.cache[url] = self._state(url, value)
        return state

    @staticmethod
    def _read(call):
        """A Redis read; None while Redis is unreachable (the page is then fetched: safe, if less polite)."""
        from archiver.distributed.outbox import redis_trouble

        try:
            return call()
        except Exception as exc:  # noqa: BLE001
            if not redis_trouble(exc):
                raise
            return None

    @staticmethod
    def _state(url: str, value: str | None) -> FetchState | None:
        if not value:
            return None
        try:
            fetched_at, etag, last_modified = json.loads(value)
            return FetchState.from_record({"url": url, "fetched_at": fetched_at, "archived": True, "etag": etag,
                                           "last_modified": last_modified})
        except (ValueError, TypeError):
            return None

    def close(self) -> None:
        self.client.close()
