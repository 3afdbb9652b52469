"""QueuePipeline: a worker's StorePipeline, with Redis in place of the archive.

The worker records exactly what the single-machine StorePipeline records (the
same process_item), but its "writer" pushes each page and outcome as a JSON
message to the item list at once; `archiver ingest` writes them to SQLite.
"""

from __future__ import annotations

from archiver.distributed import messages
from archiver.distributed.messages import Origin
from archiver.pipelines import StorePipeline
from archiver.store.writer import Fetched


class ItemQueue:
    """The ArchiveWriter interface StorePipeline uses, backed by the Redis item list."""

    def __init__(self, client, key: str, origin: Origin, *, keep_raw: bool):
        self.client = client
        self.key = key
        self.origin = origin
        self.keep_raw = keep_raw
        self.pushed = 0

    def _push(self, text: str) -> None:
        # LPUSH here, the writer takes from the right: first in, first written.
        self.client.lpush(self.key, text)
        self.pushed += 1

    def start_run(self, *, spider: str, mode: str, source: str | None = None, args=None) -> None:
        self._push(messages.encode(self.origin, "opened", spider=spider, mode=mode, source=source, args=args))

    def add_article(self, page: Fetched) -> None:
        self._push(messages.encode_article(self.origin, page, keep_raw=self.keep_raw))

    def add_outcome(self, url: str, outcome: str, reason: str | None = None, status: int | None = None) -> None:
        self._push(messages.encode(self.origin, "outcome", url=url, outcome=outcome, reason=reason, status=status))

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
        self.client.close()


class QueuePipeline(StorePipeline):
    """Replaces StorePipeline on workers (see archiver.distributed.config)."""

    def open_spider(self):
        from archiver.distributed import registry
        from archiver.distributed.config import keys_of
        from archiver.distributed.spiders import worker_name

        spider = self.crawler.spider
        settings = self.crawler.settings
        origin = Origin(run=settings.get("ARCHIVER_RUN_ID"), job=settings.get("ARCHIVER_JOB"), worker=worker_name())
        client = registry.connect(settings.get("ARCHIVER_REDIS_URL"))
        self.writer = ItemQueue(client, keys_of(settings).items, origin, keep_raw=self.keep_raw)
        self.writer.start_run(spider=spider.name, mode=getattr(spider, "mode", spider.name),
                              source=getattr(spider, "source_name", None), args=getattr(spider, "run_args", None))
        self.stats.set_value("archiver/redis_run", origin.run)

    def close_spider(self):
        super().close_spider()
        self.stats.set_value("archiver/items_queued", self.writer.pushed)
