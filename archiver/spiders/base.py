"""Shared by every spider: article requests, the parse -> extract step, failure reporting."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

import scrapy
from scrapy import signals
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from archiver import clock
from archiver.extract.decode import is_html_type
from archiver.extract.pagination import MAX_PAGES, join_pages
from archiver.extract.sites import Site
from archiver.items import ARTICLE_ITEM_META, CAPTURE_META, FOUND_META, ArticleItem, FailedFetch, Gone, Unchanged
from archiver.revisits import ARTICLE_META, CHECK_META, not_fetched, rechecks
from archiver.seeds import as_url_list, seed_url, seed_urls, unsupported_url_reason
from archiver.sources import COOKIES_META, parse_duration, selector_problem
from archiver.spiders.errors import describe_failure, http_reason
from archiver.workers import ExtractionFailed, ExtractionPool, configured_workers

# Pages a run requests at most, besides the article URLs it was given (--max-pages).
DEFAULT_MAX_PAGES = 1000


def requested_url(request: scrapy.Request) -> str:
    """The URL as it was asked for, before any redirect."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


class ArchiverSpider(scrapy.Spider):
    """Base of every archiver spider.

    Arguments (also as `scrapy crawl NAME -a KEY=VALUE`): urls (article URLs),
    revisit_after (e.g. "1d": archived URLs fetched more recently are not
    fetched again), source_name, selectors (the site's own CSS selectors for
    fields extraction gets wrong, a dict or JSON text), max_pages (pages found
    by the crawl it requests at most), rejected (seeds that could not be read:
    {url, reason} entries, each recorded as a failed page), checks (watched
    article URLs whose check is due), watch (e.g. "30d": watch the articles
    stored), min_change (smaller changes are recorded as unchanged: "3" words,
    "2%"), notify (URLs to POST each change to). Whether an article URL is
    fetched again is decided by archiver.middlewares.RevisitMiddleware, not
    here; the store applies watch, min_change and notify.
    """

    mode = "urls"

    def __init__(self, urls=None, revisit_after=None, source_name=None, selectors=None, mode_label=None,
                 rejected=None, max_pages=DEFAULT_MAX_PAGES, checks=None, watch=None, min_change=None,
                 notify=None, **kwargs):
        super().__init__(**kwargs)
        self.max_pages = int(max_pages)
        self.pages_requested = 0  # pages found by the crawl (and start pages) requested so far
        self._limit_logged = False
        self.urls = seed_urls(as_url_list(urls))
        self.rejected = list(json.loads(rejected) if isinstance(rejected, str) else rejected or [])
        # Watched URLs as the archive holds them (the watch is found again by them).
        self.checks = list(dict.fromkeys(as_url_list(checks)))
        self.watch = watch or None
        self.min_change = min_change
        self.notify = list(dict.fromkeys(as_url_list(notify)))
        if mode_label:
            self.mode = mode_label
        self._revisit_arg = revisit_after
        self.source_name = source_name
        # `-a selectors='{"title": "h1.headline"}'` arrives as JSON text.
        self.selectors = dict(json.loads(selectors) if isinstance(selectors, str) else selectors or {})
        for name, selector in self.selectors.items():
            problem = selector_problem(selector)
            if problem:
                raise ValueError(f"selectors.{name}: {problem}")
        self.site = Site.of_selectors(source_name or self.name, self.selectors)
        self._pool: ExtractionPool | None = None
        self._articles_sent = 0  # article requests that reached the downloader

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._request_sent, signal=signals.request_reached_downloader)
        return spider

    @property
    def run_args(self) -> dict:
        """What the run was asked to crawl, for the run history (long lists as counts)."""
        seeds = {k: getattr(self, k, None) for k in ("urls", "follow", "feeds", "sitemaps", "checks")}
        return {k: (v if len(v) <= 20 else f"{len(v)} URLs") for k, v in seeds.items() if v}

    # --- seeds -------------------------------------------------------------
    async def start(self):
        for entry in self.seed_requests():
            if entry is not None:  # a seed already requested in this run
                yield entry

    def seed_requests(self):
        """Requests (or items) that start the crawl; mixins add their kinds."""
        for entry in self.rejected:
            yield FailedFetch(url=entry["url"], reason=entry["reason"])
        for url in self.urls:
            yield self.article_request(url, listed=True)
        for url in self.checks:
            # A line in the run's pages like a listed URL, but fetched once even when a
            # listing of this run links it too.
            yield self.article_request(url, listed=True, meta={CHECK_META: True}, dont_filter=False)

    def checked(self, url: str):
        """A FailedFetch for a URL that cannot be fetched, else None."""
        reason = unsupported_url_reason(url)
        return FailedFetch(url=url, reason=reason) if reason else None

    def request(self, url: str, **kwargs):
        """A Request for `url`, or a FailedFetch saying why there can be none: one
        bad URL is one failed page, never the end of the crawl."""
        failed = self.checked(url)
        if failed:
            return failed
        try:
            return scrapy.Request(url, errback=self.on_error, **kwargs)
        except (ValueError, TypeError) as exc:
            return FailedFetch(url=url, reason=f"not a valid URL ({exc})")

    # --- bounded work -------------------------------------------------------
    @property
    def page_limit_reached(self) -> bool:
        if self.pages_requested < self.max_pages:
            return False
        if not self._limit_logged:
            self._limit_logged = True
            self.logger.warning("max_pages (%d) reached: no more pages requested in this run", self.max_pages)
        return True

    def found(self, entries):
        """The requests a page led to (links, feed or sitemap entries), up to max_pages
        requested in the run; items pass. An archived page that is not due for a
        revisit is answered from the archive and does not count."""
        for entry in entries:
            if isinstance(entry, scrapy.Request) and self.page_limit_reached:
                return
            yield entry
            # By now the revisit middleware has seen the request.
            if isinstance(entry, scrapy.Request) and not not_fetched(entry.meta):
                self.pages_requested += 1

    # --- article requests ---------------------------------------------------
    @property
    def revisit_after(self) -> timedelta:
        value = self._revisit_arg
        if value is None:
            value = self.settings.get("ARCHIVER_REVISIT_AFTER", "1d")
        return timedelta(seconds=parse_duration(value))

    def article_request(self, url: str, *, listed: bool, evidence: dict | None = None,
                        callback=None, meta: dict | None = None, found: dict | None = None,
                        dont_filter: bool | None = None):
        """A request for an article URL (the revisit middleware may answer it from the
        archive instead), or a FailedFetch for a URL that cannot be fetched. `found`:
        how the URL was found (FOUND_META); a listed URL is a seed."""
        meta = {**(meta or {}), ARTICLE_META: listed, FOUND_META: found or {"by": "seed" if listed else "link"}}
        if evidence:
            meta["evidence"] = evidence
        return self.request(
            seed_url(url), callback=callback or self.parse_article, meta=meta,
            # Each listed URL gets an outcome, even when a redirect leads to a
            # page already fetched in this run.
            dont_filter=listed if dont_filter is None else dont_filter,
        )

    # --- extraction --------------------------------------------------------
    @property
    def pool(self) -> ExtractionPool:
        if self._pool is None:
            workers = configured_workers(self.settings.get("ARCHIVER_EXTRACT_WORKERS"))
            self._pool = ExtractionPool(workers, timeout=self.settings.getfloat("ARCHIVER_EXTRACT_TIMEOUT", 60))
        return self._pool

    def _request_sent(self, request: scrapy.Request) -> None:
        # More article pages downloading than the pool extracts in this process: its
        # workers start now and get ready while these download, not once the first few
        # were extracted here.
        if ARTICLE_META in request.meta:
            self._articles_sent += 1
            if self._articles_sent == self.pool.inline_first + 1:
                self.pool.start(expected_pages=self._pages_ahead())

    def _pages_ahead(self) -> int:
        """The pages this run has ahead, as far as it knows: its listed URLs and
        checks, or the requests waiting in the scheduler (a feed's or sitemap's
        entries, a page's links), whichever is more."""
        try:
            waiting = len(self.crawler.engine.scheduler or ())
        except Exception:  # noqa: BLE001 - e.g. a shared scheduler that cannot be asked now
            waiting = 0
        return max(len(self.urls) + len(self.checks), waiting)

    def closed(self, reason):
        if self._pool is not None:
            pool = self._pool
            worker_pids = pool.pids - {os.getpid()}
            self.logger.info("extraction: %d pages, %d of them in %d worker processes%s",
                             pool.pages, pool.pooled, len(worker_pids),
                             " (dateparser's locales preloaded)" if pool.preloads_dates else "")
            self.crawler.stats.set_value("archiver/extract_pages", pool.pages)
            self.crawler.stats.set_value("archiver/extract_pages_in_workers", pool.pooled)
            self._pool.close()

    # --- responses ---------------------------------------------------------
    async def parse_article(self, response: Response):
        meta = response.meta
        check = bool(meta.get(CHECK_META))
        if response.status == 304:
            yield Unchanged(url=requested_url(response.request), reason="not modified (HTTP 304)", status=304,
                            check=check)
            return
        if response.status in (404, 410):  # let through only for pages that hold an archived article
            yield Gone(url=requested_url(response.request), reason=http_reason(response.status),
                       status=response.status, check=check)
            return
        fetched_at = clock.now()
        headers = {
            k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
            # A session of the user's own (sources' cookies) is not archived.
            if not (k.lower() == b"set-cookie" and response.request.meta.get(COOKIES_META))
        }
        content_type = headers.get("Content-Type", "")
        item = ArticleItem(
            requested_url=requested_url(response.request),
            fetched_at=fetched_at.isoformat(timespec="seconds"),
            status=response.status,
            headers=headers,
            found=response.meta.get(FOUND_META) or {},
            capture=response.meta.get(CAPTURE_META) or {},
            check=check,
            recheck=rechecks(meta),
            followed="archiver_depth" in meta,
        )
        page = await self.extracted(item, response, url=response.url, content_type=content_type,
                                    fetched_at=fetched_at, evidence=response.meta.get("evidence"))
        yield (self.next_page_request(page, 1) if isinstance(page, ArticleItem) else None) or page

    async def extracted(self, item: ArticleItem, response: Response, *, url: str, content_type: str,
                        fetched_at: datetime, evidence: dict | None = None) -> ArticleItem | FailedFetch:
        """The item with the page's record (or its reason for being skipped: not HTML),
        or a FailedFetch when extraction could not finish."""
        mime = content_type.split(";")[0].strip().lower()
        if not isinstance(response, TextResponse) or not is_html_type(mime):
            item.skip_reason = f"not HTML ({mime or 'unknown type'})"
            return item
        try:
            item.fields, item.raw_packed = await self.pool.extract(body=response.body, url=url,
                                                                   content_type=content_type or None,
                                                                   fetched_at=fetched_at, evidence=evidence,
                                                                   site=self.site)
        except ExtractionFailed as exc:
            return FailedFetch(url=item.requested_url, reason=str(exc), status=response.status, check=item.check,
                               import_key=item.import_key)
        item.raw = response.body
        # The store hands on a plain record in the item's place; what writes the WARC
        # metadata record once the page is stored finds the item here.
        response.meta[ARTICLE_ITEM_META] = item
        return item

    # --- multi-page articles ----------------------------------------------
    def next_page_request(self, item: ArticleItem, pages: int):
        """A request for the article's next page, when extraction found one, or None."""
        url = item.fields.get("next_page")
        if not url or not item.fields.get("is_article") or pages >= MAX_PAGES:
            return None
        try:
            return scrapy.Request(url, callback=self.parse_next_page, errback=self.next_page_failed,
                                  dont_filter=True, meta={ARTICLE_ITEM_META: item, "archiver_pages": pages + 1})
        except ValueError:
            return None

    async def parse_next_page(self, response: Response):
        item: ArticleItem = response.meta[ARTICLE_ITEM_META]
        if isinstance(response, TextResponse):
            try:
                fields, _ = await self.pool.extract(body=response.body, url=response.url, site=self.site,
                                                    content_type=response.headers.get("Content-Type", b"").decode("latin-1") or None)
            except ExtractionFailed:
                fields = {}
            if fields.get("body"):
                item.fields = join_pages(item.fields, fields)
                following = self.next_page_request(item, response.meta["archiver_pages"])
                if following is not None:
                    yield following
                    return
        yield item

    def next_page_failed(self, failure: Failure):
        # The pages we have are still the article.
        self.logger.info("next page of %s failed: %s", failure.request.url, describe_failure(failure))
        yield failure.request.meta[ARTICLE_ITEM_META]

    def on_error(self, failure: Failure):
        request = failure.request
        status = getattr(getattr(failure.value, "response", None), "status", None)
        yield FailedFetch(url=requested_url(request), reason=describe_failure(failure), status=status,
                          check=bool(request.meta.get(CHECK_META)))
