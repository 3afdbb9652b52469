"""QueuePipeline: a worker's StorePipeline, with Redis in place of the archive.

The worker records exactly what the single-machine StorePipeline records (the
same process_item), but its "writer" sends each page and outcome as a JSON
message to the item list at once, through the spider's Outbox (a local spool
while Redis refuses writes); `archiver ingest` writes them to SQLite.
"""

from __future__ import annotations

import logging

from archiver.distributed import messages
from archiver.distributed.messages import Origin
from archiver.distributed.outbox import Outbox, SpoolFull
from archiver.pipelines import StorePipeline
from archiver.store.writer import Fetched

logger = logging.getLogger(__name__)


class ItemQueue:
    """The ArchiveWriter interface StorePipeline uses, backed by the Redis item list."""

    def __init__(self, outbox: Outbox, key: str, origin: Origin, *, keep_raw: bool, on_spool_full=None):
        self.outbox = outbox
        self.key = key
        self.origin = origin
        self.keep_raw = keep_raw
        self.on_spool_full = on_spool_full or (lambda reason: None)
        self.pushed = 0
        self.refused = 0  # pages neither Redis nor the spool could take (fetched again later)

    def _push(self, text: str, *, url: str | None = None) -> None:
        # LPUSH, the writer takes from the right: first in, first written.
        try:
            self.outbox.push_item(self.key, text)
        except SpoolFull as exc:
            if url is None:  # a small message of the run itself: kept beyond the bound
                self.outbox.push_item(self.key, text, urgent=True)
            else:
                # The page is not lost: its request stays leased to this worker, and is
                # fetched again once this worker is presumed gone.
                self.refused += 1
                logger.error("%s: not kept (Redis refuses writes and %s); it will be fetched again", url, exc)
            self.on_spool_full(str(exc))
            return
        self.pushed += 1

    def start_run(self, *, spider: str, mode: str, source: str | None = None, args=None) -> None:
        self._push(messages.encode(self.origin, "opened", spider=spider, mode=mode, source=source, args=args))

    def add_article(self, page: Fetched) -> None:
        self._push(messages.encode_article(self.origin, page, keep_raw=self.keep_raw), url=page.requested_url)

    def add_outcome(self, url: str, outcome: str, reason: str | None = None, status: int | None = None, *,
                    check: bool = False, import_key: str | None = None, access: str | None = None) -> None:
        # Workers make no watch checks (enqueue gives them none): `check` stays False;
        # `import_key` names an imported capture, and imports never run on workers.
        self._push(messages.encode(self.origin, "outcome", url=url, outcome=outcome, reason=reason, status=status,
                                   access=access), url=url)

    def add_front_page(self, url: str, fetched_at: str, links: list[dict]) -> None:
        """Front pages are not kept by distributed crawls (the item messages have no kind for them)."""

    def count_not_due(self, n: int = 1) -> None:
        self._push(messages.encode(self.origin, "not_due", count=n))

    @property
    def pending(self) -> int:
        return 0  # nothing is held back: a crashed worker loses no finished page

    def flush(self) -> None:
        pass

    def finish_run(self, status: str) -> None:
        self._push(messages.encode(self.origin, "closed", status=status))

    def close(self) -> None:
        pass  # the spider owns the outbox and closes it last


class QueuePipeline(StorePipeline):
    """Replaces StorePipeline on workers (see archiver.distributed.config)."""

    def open_spider(self):
        from archiver.distributed.config import keys_of

        spider = self.crawler.spider
        settings = self.crawler.settings
        origin = Origin(run=spider.run_id, job=spider.job, worker=spider.worker)
        self.writer = ItemQueue(spider.outbox, keys_of(settings).items, origin, keep_raw=self.keep_raw,
                                on_spool_full=spider.spool_full)
        self.writer.start_run(spider=spider.name, mode=getattr(spider, "mode", spider.name),
                              source=getattr(spider, "source_name", None), args=getattr(spider, "run_args", None))
        self.stats.set_value("archiver/redis_run", origin.run)

    def close_spider(self):
        super().close_spider()
        self.stats.set_value("archiver/items_queued", self.writer.pushed)
        self.stats.set_value("archiver/items_spooled", self.writer.outbox.spooled)

    def spider_closed(self, spider, reason):
        # Stopped (Ctrl-C, SIGTERM) with nothing left to do: the job is finished, not interrupted.
        if reason == "shutdown" and spider.job_has_no_work():
            reason = "finished"
        super().spider_closed(spider, reason)
