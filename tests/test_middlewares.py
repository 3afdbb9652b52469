"""archiver's robots.txt middleware against the real Scrapy class it works around.

These fail when the private parts of Scrapy's RobotsTxtMiddleware that the
workaround relies on change, or when Scrapy fixes the bug (then the override of
robot_parser can go): see archiver.middlewares.RobotsTxtMiddleware.
"""

from __future__ import annotations

import asyncio
import inspect
import logging

import pytest

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred

from archiver.middlewares import SCRAPY_ROBOTS_ERROR, RobotsTxtMiddleware


def middleware(cls):
    return cls(get_crawler(settings_dict={"ROBOTSTXT_OBEY": True}))


async def two_waiters(mw) -> tuple[object, list]:
    """Two requests arrive while robots.txt downloads; then it is parsed, as _parse_robots does."""
    pending: Deferred = Deferred()
    mw._parsers["example.com"] = pending
    waiters = [asyncio.ensure_future(mw.robot_parser(Request(f"http://example.com/{i}"))) for i in range(2)]
    await asyncio.sleep(0)
    parser = object()
    mw._parsers["example.com"] = parser
    pending.callback(parser)
    return parser, await asyncio.gather(*waiters)


def test_every_request_waiting_for_robots_txt_gets_the_parser():
    parser, got = asyncio.run(two_waiters(middleware(RobotsTxtMiddleware)))
    assert got == [parser, parser]


def test_scrapy_still_gives_the_parser_to_the_first_waiter_only():
    parser, got = asyncio.run(two_waiters(middleware(ScrapyRobotsTxtMiddleware)))
    assert got == [parser, None], "Scrapy fixed it: drop the robot_parser override in archiver.middlewares"


def test_the_private_scrapy_api_the_workaround_relies_on():
    mw = middleware(ScrapyRobotsTxtMiddleware)
    assert mw._parsers == {}
    method = ScrapyRobotsTxtMiddleware.robot_parser
    assert inspect.iscoroutinefunction(method)
    assert list(inspect.signature(method).parameters) == ["self", "request"]
    source = inspect.getsource(method)
    # A Deferred stands in _parsers while robots.txt downloads ...
    assert "self._parsers[netloc] = Deferred()" in source
    # ... and a failed download is logged with this message, which becomes one warning.
    assert SCRAPY_ROBOTS_ERROR in source
    assert ScrapyRobotsTxtMiddleware.__module__ == "scrapy.downloadermiddlewares.robotstxt"


def test_an_unreachable_robots_txt_is_one_warning(caplog):
    middleware(RobotsTxtMiddleware)
    scrapy_logger = logging.getLogger(ScrapyRobotsTxtMiddleware.__module__)
    with caplog.at_level(logging.WARNING):
        try:
            raise TimeoutError("took too long")
        except TimeoutError as exc:
            scrapy_logger.error(SCRAPY_ROBOTS_ERROR, {"request": Request("http://example.com/a"), "f_exception": exc},
                                exc_info=True)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "robots.txt of example.com could not be fetched (TimeoutError: took too long); "
                    "crawling as if it had none")]


# --- meta refresh: Scrapy's decision, from the start of the page only ------------------

REFRESH = '<meta http-equiv="refresh" content="0; url=/moved.html">'
FILLER = "<p>Überall grüßen Bürger – ein Text mit Umlauten, “Anführungen” und € 😀.</p>\n"


def _page(before: int, encoding: str, charset: bool = True) -> bytes:
    """A long page (well over 32 KB) with the refresh after `before` characters of text."""
    meta = f'<meta charset="{encoding}">' if charset else ""
    head = f"<html><head>{meta}<title>Moved</title>"
    text = head + ("€" * max(0, before - len(head))) + REFRESH + "</head><body>" + FILLER * 800 + "</body></html>"
    return text.encode(encoding, "replace")  # windows-1252 has no emoji


@pytest.mark.parametrize("before", [0, 3000, 4000, 4090, 5000])
@pytest.mark.parametrize("encoding,charset", [("utf-8", True), ("utf-8", False), ("utf-16", True),
                                              ("utf-32", True), ("gb18030", True), ("windows-1252", True)])
def test_meta_refresh_reads_what_scrapys_reads(before, encoding, charset):
    from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefreshMiddleware
    from scrapy.http import HtmlResponse

    from archiver.middlewares import MetaRefreshMiddleware

    body = _page(before, encoding, charset)
    crawler = get_crawler(settings_dict={"METAREFRESH_ENABLED": True})

    def decision(middleware_class):
        request = Request("https://news.example/story.html")
        response = HtmlResponse(request.url, body=body, request=request)
        result = middleware_class.from_crawler(crawler).process_response(request, response)
        return result.url if isinstance(result, Request) else ("kept" if result is response else result)

    ours = decision(MetaRefreshMiddleware)
    assert ours == decision(ScrapyMetaRefreshMiddleware)
    assert len(body) > MetaRefreshMiddleware.HEAD


@pytest.mark.parametrize("refresh", [REFRESH, '<META HTTP-EQUIV="Refresh" CONTENT="0;URL=/moved.html">',
                                     "<script>var autoRefresh = 1;</script>", ""])
@pytest.mark.parametrize("charset", [None, "utf-8", "utf-16", "utf-32", "cp500", "gb18030", "no-such-charset"])
@pytest.mark.parametrize("length", [200, 40_000])
def test_a_page_without_refresh_in_its_bytes_is_passed_on_as_scrapy_would(refresh, charset, length):
    # The bytes check (no "refresh" in the start: not decoded) against Scrapy's own
    # decision, for charsets the response's headers declare, ASCII-writing or not.
    from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefreshMiddleware
    from scrapy.http import HtmlResponse

    from archiver.middlewares import MetaRefreshMiddleware

    text = f"<html><head><title>Moved</title>{refresh}</head><body>" + "<p>Bürger grüßen.</p>" * (length // 20)
    body = text.encode("utf-8" if charset in (None, "no-such-charset") else charset)
    headers = {"Content-Type": "text/html" + (f"; charset={charset}" if charset else "")}
    crawler = get_crawler(settings_dict={"METAREFRESH_ENABLED": True})

    def decision(middleware_class):
        request = Request("https://news.example/story.html")
        response = HtmlResponse(request.url, body=body, headers=headers, request=request)
        result = middleware_class.from_crawler(crawler).process_response(request, response)
        return result.url if isinstance(result, Request) else ("kept" if result is response else result)

    assert decision(MetaRefreshMiddleware) == decision(ScrapyMetaRefreshMiddleware)
    if refresh.lower().count("refresh") and charset in (None, "utf-8", "gb18030"):
        assert decision(MetaRefreshMiddleware) == ("kept" if "script" in refresh else "https://news.example/moved.html")
