"""Middlewares: revisits of archived URLs (spider side) and robots.txt (downloader side)."""

from __future__ import annotations

import logging
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as _ScrapyMetaRefreshMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet.defer import Deferred
from w3lib.encoding import http_content_type_encoding

from archiver import clock
from archiver.items import IMPORT_KEY_META, FailedFetch, NotDue, PassedOver
from archiver.normalize.urls import same_site
from archiver.revisits import (ARTICLE_META, CHECK_META, NOT_DUE, REVISIT_META, FetchState, FetchStates, check,
                               rechecks, revisit)
from archiver.seeds import address_class, inward_reason, is_ip
from archiver.sources import COOKIES_META, load_cookies
from archiver.store.queries import capture_imported, fetch_state
from archiver.store.schema import ArchiveError, connect

logger = logging.getLogger(__name__)


class ArchiveFetchStates:
    """Fetch states from the SQLite archive (ARCHIVER_DB), opened read-only once.

    No archive yet (or none configured, as on a distributed worker): every URL is new.
    """

    def __init__(self, path: str | None):
        self.db = None
        if path and Path(path).exists():
            try:
                self.db = connect(path, readonly=True)
            except ArchiveError:
                pass  # not an archive (yet): nothing in it is archived

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("ARCHIVER_DB"))

    def get(self, url: str) -> FetchState | None:
        row = fetch_state(self.db, url) if self.db is not None else None
        return FetchState.from_record(row) if row else None

    def close(self) -> None:
        if self.db is not None:
            self.db.conn.close()
            self.db = None


class RevisitMiddleware(BaseSpiderMiddleware):
    """Applies the revisit policy (archiver.revisits) to the article requests spiders yield.

    An article request (meta ARTICLE_META) whose URL is archived and not due is
    answered with a NotDue item instead of being fetched; a due one, and a
    watch check (meta CHECK_META, due by the watch schedule), gets the archive's
    validators and may come back as a 304, or a 404/410 when the article is gone.
    The decision is left on the
    request (meta REVISIT_META). Fetch states come from ARCHIVER_FETCH_STATES (a
    class path; by default the archive), so another source plugs in by setting.
    """

    def __init__(self, crawler, states: FetchStates):
        super().__init__(crawler)
        self.states = states

    @classmethod
    def from_crawler(cls, crawler):
        states = build_from_crawler(load_object(crawler.settings.get("ARCHIVER_FETCH_STATES")), crawler)
        middleware = cls(crawler, states)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_closed(self):
        self.states.close()

    def process_spider_input(self, response):
        # A source that looks many URLs up in one round trip (Redis) reads ahead the
        # links of a page before its callback asks for them one at a time.
        prefetch = getattr(self.states, "prefetch_links", None)
        if prefetch is not None:
            prefetch(response)

    def prefetch(self, entries: list) -> None:
        """Look the article requests among `entries` up at once, where the source can."""
        prefetch = getattr(self.states, "prefetch", None)
        if prefetch is not None:
            prefetch([e.url for e in entries if isinstance(e, Request) and ARTICLE_META in e.meta])

    def get_processed_request(self, request: Request, response):
        """The request, with the archive's validators when due; a NotDue item when not due."""
        if ARTICLE_META not in request.meta:
            return request
        spider = self.crawler.spider
        try:
            state = self.states.get(request.url)
        except Exception as exc:  # noqa: BLE001 - one unreadable state fails one URL, not the run
            reason = f"cannot read what the archive knows of this URL ({type(exc).__name__}: {exc})"[:300]
            return FailedFetch(url=request.url, reason=reason)
        if request.meta.get(CHECK_META):
            decision = check(state)
        else:
            decision = revisit(state, clock.now(), spider.revisit_after)
        request.meta[REVISIT_META] = decision
        self.crawler.stats.inc_value(f"archiver/revisit/{decision.action}")
        if decision.action == NOT_DUE:
            return NotDue(url=request.url, listed=request.meta[ARTICLE_META], reason=decision.reason)
        for name, value in decision.headers.items():
            request.headers[name] = value
        if rechecks(request.meta):
            # The archive holds the article: a 304 is "unchanged", a 404 or 410 "gone".
            request.meta["handle_httpstatus_list"] = [304, 404, 410]
        return request


class KnownCapturesMiddleware(BaseSpiderMiddleware):
    """Passes over the requests of captures (meta IMPORT_KEY_META) that a run already
    took in, so an import run again fetches only what it lacks (failures again)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.states = ArchiveFetchStates(crawler.settings.get("ARCHIVER_DB"))
        crawler.signals.connect(self.states.close, signal=signals.spider_closed)

    def get_processed_request(self, request: Request, response):
        key = request.meta.get(IMPORT_KEY_META)
        if key and self.states.db is not None and capture_imported(self.states.db, key):
            return PassedOver()
        return request


# The URL of the page a request was found on (a link, a feed or sitemap entry, a next page).
FOUND_ON_META = "archiver_found_on"


class FoundOnMiddleware(BaseSpiderMiddleware):
    """Marks each request a page led to with that page's URL (meta FOUND_ON_META);
    requests without it are seeds, which the user named."""

    def get_processed_request(self, request: Request, response):
        if response is not None:
            request.meta.setdefault(FOUND_ON_META, response.url)
        return request


class AddressScopeMiddleware:
    """Never from a page on one address class to a less public one (archiver.seeds):
    a public page's redirect, meta refresh, link, feed or sitemap entry to a
    loopback, link-local or private address is refused with the reason.

    Seeds are always allowed, and ARCHIVER_ALLOW_PRIVATE_ADDRESSES=1 allows every
    request. Host names are resolved with the crawl's own (caching) resolver,
    so the address judged is the one connected to; a name that does not resolve
    here (say, one only a proxy knows) counts as public.
    """

    def __init__(self, crawler):
        self.allow_all = crawler.settings.getbool("ARCHIVER_ALLOW_PRIVATE_ADDRESSES")
        self._classes: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request, spider=None) -> None:
        redirects = request.meta.get("redirect_urls")
        origin = redirects[-1] if redirects else request.meta.get(FOUND_ON_META)
        if self.allow_all or not origin:
            return
        origin_host, target_host = urlsplit(origin).hostname, urlparse_cached(request).hostname
        if not origin_host or not target_host or origin_host == target_host:
            return
        reason = inward_reason(origin_host, await self._class_of(origin_host),
                               target_host, await self._class_of(target_host))
        if reason:
            raise IgnoreRequest(reason)

    async def _class_of(self, host: str) -> int:
        if host not in self._classes:
            address = host
            if not is_ip(host):
                from twisted.internet import reactor

                try:
                    address = await maybe_deferred_to_future(reactor.resolve(host))
                except Exception:  # noqa: BLE001 - unresolvable here: the download will say why
                    address = host
            self._classes[host] = address_class(address)
        return self._classes[host]


class SourceCookiesMiddleware:
    """Sends a source's cookies.txt cookies (ARCHIVER_COOKIES_FILE) to its own sites only.

    A request gets them when it is on the site of one of the source's seeds
    (ARCHIVER_COOKIES_SITES, ports included) and the cookie's domain and path
    match; a redirect to any other site leaves without them. Responses to such
    requests are stored without their Set-Cookie headers (spiders/base.py), and
    the cookies are never logged."""

    META = COOKIES_META

    def __init__(self, path: str | None, sites: list[str]):
        self.sites = sites
        self.jar = load_cookies(path) if path else None

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(s.get("ARCHIVER_COOKIES_FILE"), s.getlist("ARCHIVER_COOKIES_SITES"))

    def process_request(self, request: Request):
        if self.jar is None:
            return None
        if request.meta.pop(self.META, False):
            request.headers.pop(b"Cookie", None)  # ours, copied onto a redirect: decided again below
        if not any(same_site(request.url, site) for site in self.sites):
            return None
        shim = urllib.request.Request(request.url)
        self.jar.add_cookie_header(shim)
        ours = shim.get_header("Cookie")
        if ours:
            theirs = request.headers.get(b"Cookie")
            request.headers[b"Cookie"] = f"{theirs.decode('latin-1')}; {ours}" if theirs else ours
            request.meta[self.META] = True
        return None


class PageErrorsMiddleware:
    """A callback that raises on a page records that page as failed, with the error.

    Without it the page would vanish from the run (Scrapy logs the traceback and
    moves on), and a run whose every page raised would end "0 archived, 0
    failed", exit 0. The traceback stays in the log at INFO level (-v).
    """

    def process_spider_exception(self, response, exception):
        request = getattr(response, "request", None)
        if request is None:
            return None
        url = (request.meta.get("redirect_urls") or [request.url])[0]
        reason = f"internal error while reading the page ({type(exception).__name__}: {exception})"[:300]
        logger.error("%s: %s", url, reason)
        logger.info("the error on %s", url, exc_info=exception)
        return [FailedFetch(url=url, reason=reason, status=getattr(response, "status", None))]


class MetaRefreshMiddleware(_ScrapyMetaRefreshMiddleware):
    """Scrapy's meta refresh redirects, decoding only the start of a page, and none of
    a page that cannot hold one.

    Scrapy looks for the refresh in the first 4096 characters of the page's text
    (response.text[0:4096]), and decodes the whole page to get them (first to guess its
    encoding, when the response does not declare one); the crawl process hands the
    page's bytes to the extraction workers and needs no more of its text. A start that
    decodes, in the page's own encoding, to more than those characters holds the same
    ones (a character cut in two at its end lies past them).

    Scrapy (w3lib) redirects only for a meta tag whose attributes spell "refresh". In
    an encoding that writes ASCII as ASCII (every one a page can be guessed to be in,
    except UTF-16 and UTF-32, whose ASCII holds NUL bytes), a start whose bytes hold no
    "refresh" in any case holds no such tag: most pages (five in six of the dev sets)
    are passed on without being decoded at all.
    """

    HEAD = 32 * 1024  # bytes: 4096 characters of any encoding, with room to spare
    READ = 4096  # characters Scrapy reads

    def process_response(self, request: Request, response: Response, spider=None):
        if isinstance(response, HtmlResponse):
            if not self._may_refresh(response):
                return response
            if len(response.body) > self.HEAD:
                head = response.replace(body=response.body[:self.HEAD], encoding=response.encoding)
                if len(head.text) > self.READ + 4:
                    result = super().process_response(request, head)
                    return response if result is head else result
        return super().process_response(request, response)

    def _may_refresh(self, response: HtmlResponse) -> bool:
        """False when the page's start cannot hold a meta refresh (see above)."""
        head = response.body[:self.HEAD]
        if b"\0" in head or not self._ascii_as_ascii(response):
            return True  # (UTF-16 or UTF-32, most likely: decoded to tell)
        return b"refresh" in head.lower()

    @staticmethod
    def _ascii_as_ascii(response: HtmlResponse) -> bool:
        """The charset the response's headers declare, if any, writes ASCII as ASCII."""
        charset = http_content_type_encoding((response.headers.get(b"Content-Type") or b"").decode("latin-1"))
        try:
            return charset is None or "<meta refresh>".encode(charset) == b"<meta refresh>"
        except (LookupError, UnicodeError):
            return False


# Scrapy's line for a robots.txt that could not be downloaded (an ERROR with a traceback).
SCRAPY_ROBOTS_ERROR = "Error downloading %(request)s: %(f_exception)s"


class _RobotsErrorAsWarning(logging.Filter):
    """Turns Scrapy's SCRAPY_ROBOTS_ERROR into one warning line without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, dict) else {}
        if record.msg != SCRAPY_ROBOTS_ERROR or not isinstance(args.get("request"), Request):
            return True
        exc = args.get("f_exception")
        logger.warning("robots.txt of %s could not be fetched (%s: %s); crawling as if it had none",
                       urlparse_cached(args["request"]).netloc, type(exc).__name__, str(exc)[:200])
        return False


class RobotsTxtMiddleware(_ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with two changes.

    Every waiting request gets the parser. While robots.txt downloads, Scrapy
    keeps a Deferred in `_parsers[netloc]` and each request that arrives awaits
    it through maybe_deferred_to_future; turning a Deferred into a Future
    consumes its result, so only the first waiter received the parser and the
    others got None, which means "allowed": disallowed pages were fetched
    whenever several requests to a new host started together. Present in
    Scrapy 2.15 to 2.19; the await came with scrapy/scrapy#6802 ("Refactor
    RobotsTxtMiddleware to use async def process_request()"), whose review
    noted that this path had no test. No upstream issue about the bug was
    found. Here each waiter awaits a Deferred of its own, fed by the shared one;
    everything else is Scrapy's own code (tests/test_middlewares.py fails when
    the private parts relied on change, or when Scrapy fixes the bug).

    A robots.txt that cannot be fetched (timeout, refused) is one warning
    line, not an error with a traceback; as in Scrapy, the site is then
    crawled as if it had none.

    And robots.txt's `Crawl-delay` is obeyed, which Scrapy does not do: the
    site's download slot waits that long between requests (never less than
    DOWNLOAD_DELAY, at most ARCHIVER_MAX_CRAWL_DELAY seconds, without random
    jitter), and AutoThrottle does not lower it for that site.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self._max_crawl_delay = crawler.settings.getfloat("ARCHIVER_MAX_CRAWL_DELAY", 30.0)
        scrapy_logger = logging.getLogger(_ScrapyRobotsTxtMiddleware.__module__)
        if not any(isinstance(f, _RobotsErrorAsWarning) for f in scrapy_logger.filters):
            scrapy_logger.addFilter(_RobotsErrorAsWarning())

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        own: Deferred = Deferred()

        def relay(result):
            own.callback(result)
            return result

        pending.addCallback(relay)
        return await maybe_deferred_to_future(own)

    async def process_request(self, request: Request, spider=None) -> None:
        await super().process_request(request)
        if request.meta.get("dont_obey_robotstxt"):
            return
        parser = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(parser, RobotParser):
            delay = crawl_delay(parser, self._robotstxt_useragent or self._default_useragent)
            if delay:
                self._slow_down(request, min(delay, self._max_crawl_delay))

    def _slow_down(self, request: Request, delay: float) -> None:
        # Autothrottle would otherwise move the slot's delay back towards its own target.
        request.meta["autothrottle_dont_adjust_delay"] = True
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:  # the slot is made when the request reaches the downloader
            settings = downloader.per_slot_settings.setdefault(key, {})
            settings["delay"] = max(settings.get("delay", downloader._delay), delay)
            settings["jitter"] = 0
        elif slot.delay < delay or slot.jitter:
            slot.delay, slot.jitter = max(slot.delay, delay), 0


def crawl_delay(parser: RobotParser, user_agent: str) -> float | None:
    """robots.txt's Crawl-delay for us, in seconds (Scrapy 2.18 parsers have crawl_delay();
    before that, the Protego or standard-library parser underneath does)."""
    own = getattr(type(parser), "crawl_delay", None)
    if own is not None and own is not getattr(RobotParser, "crawl_delay", None):
        value = parser.crawl_delay(user_agent)
    else:
        inner = getattr(parser, "rp", None)
        value = inner.crawl_delay(user_agent) if hasattr(inner, "crawl_delay") else None
    try:
        return float(value) if value is not None and float(value) > 0 else None
    except (TypeError, ValueError):
        return None
