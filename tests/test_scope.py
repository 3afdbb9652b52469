"""Where a crawl may go: a site is a host and port (an IP address is a site of its own),
and a page never leads the crawl to a less public address than its own (issue 13,
cases 8 and 9).

A public page cannot be served offline, so the address tests crawl through a real
HTTP proxy on 127.0.0.1: the crawl asks it for http://news.example/... (a name that
does not resolve here, so it counts as public, as a name only a proxy knows would)
and the proxy answers from its own pages. Nothing leaves this machine: without the
proxy those names do not resolve at all."""

from __future__ import annotations

import os
import sqlite3

import pytest

from archiver.seeds import LINK_LOCAL, LOOPBACK, PRIVATE, PUBLIC, address_class, inward_reason
from tests.conftest import FAST
from tests.support.newsroom import xml
from tests.support.pages import article_html, html_page
from tests.support.server import FixtureSite, Page


@pytest.mark.parametrize(("address", "expected"), [
    ("127.0.0.1", LOOPBACK), ("127.1.0.1", LOOPBACK), ("::1", LOOPBACK), ("0.0.0.0", LOOPBACK),
    ("::ffff:127.0.0.1", LOOPBACK),
    ("169.254.169.254", LINK_LOCAL), ("fe80::1", LINK_LOCAL),
    ("10.0.0.5", PRIVATE), ("192.168.1.1", PRIVATE), ("172.16.0.1", PRIVATE), ("fd00::1", PRIVATE),
    ("100.64.0.1", PRIVATE),
    ("93.184.215.14", PUBLIC), ("2606:4700::1", PUBLIC), ("news.example", PUBLIC),
])
def test_address_classes(address, expected):
    assert address_class(address) == expected


@pytest.mark.parametrize(("origin", "target", "refused"), [
    (PUBLIC, LOOPBACK, True), (PUBLIC, PRIVATE, True), (PUBLIC, LINK_LOCAL, True),
    (PRIVATE, LINK_LOCAL, True), (PRIVATE, LOOPBACK, True), (LINK_LOCAL, LOOPBACK, True),
    (LOOPBACK, LOOPBACK, False), (LOOPBACK, PUBLIC, False), (PRIVATE, PRIVATE, False), (PRIVATE, PUBLIC, False),
])
def test_only_moves_to_less_public_addresses_are_refused(origin, target, refused):
    assert (inward_reason("a", origin, "b", target) is not None) is refused


def test_follow_stays_on_one_host_and_port(run_cli, tmp_path):
    with FixtureSite({}) as other:
        pages = {
            "/robots.txt": Page(b"User-agent: *\n", headers={"Content-Type": "text/plain"}),
            "/news/1.html": html_page(article_html(1)),
        }
        with FixtureSite(pages) as site:
            port = site.url.rsplit(":", 1)[1]
            links = [f"http://127.1.0.1:{port}/news/elsewhere.html", f"{other.url}/news/other-port.html",
                     f"http://localhost:{port}/news/by-name.html", "/news/1.html"]
            site.pages["/"] = html_page("<html><body>" + "".join(f'<a href="{u}">link</a>' for u in links)
                                        + "</body></html>")
            result = run_cli("crawl", "--follow", site.url + "/", "--depth", "1", "--db", "a.db", *FAST)
        assert other.paths_requested() == []
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(tmp_path / "a.db")
    assert sorted(u for (u,) in db.execute("SELECT url FROM run_pages")) == [site.url + "/", site.url + "/news/1.html"]


@pytest.fixture
def proxy(monkeypatch):
    """An HTTP proxy on 127.0.0.1 that serves a "public" site, news.example, and pages of
    its own loopback address; the crawls of the test go through it."""
    with FixtureSite({}) as proxy:
        loopback = proxy.url
        public = "http://news.example"
        proxy.pages.update({
            f"{public}/robots.txt": Page(b"User-agent: *\n", headers={"Content-Type": "text/plain"}),
            f"{public}/news/redirect.html": Page(b"", status=302, headers={"Location": f"{loopback}/secret-1.html"}),
            f"{public}/news/refresh.html": html_page(
                f'<html><head><meta http-equiv="refresh" content="0; url={loopback}/secret-2.html"></head>'
                "<body>Moved</body></html>"),
            f"{public}/news/ok.html": html_page(article_html(1)),
            f"{public}/feed.xml": xml(f"""<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>
<item><title>Secret</title><link>{loopback}/secret-3.html</link></item>
<item><title>Fine</title><link>{public}/news/ok.html</link></item></channel></rss>""", "application/rss+xml"),
            f"{loopback}/robots.txt": Page(b"User-agent: *\n", headers={"Content-Type": "text/plain"}),
            f"{loopback}/direct.html": html_page(article_html(2)),
            **{f"{loopback}/secret-{i}.html": html_page(article_html(10 + i, title=f"Secret {i}")) for i in (1, 2, 3)},
        })
        for name in ("http_proxy", "HTTP_PROXY"):
            monkeypatch.setenv(name, loopback)
        for name in ("no_proxy", "NO_PROXY"):
            monkeypatch.setenv(name, "")
        yield proxy, public, loopback


def pages_of(db_file) -> dict[str, tuple[str, str | None]]:
    db = sqlite3.connect(db_file)
    return {url: (outcome, reason) for url, outcome, reason in db.execute("SELECT url, outcome, reason FROM run_pages")}


def secrets_requested(proxy) -> list[str]:
    return [p for p in proxy.paths_requested() if "secret" in p]


def test_a_public_page_never_leads_to_a_loopback_address(proxy, run_cli, tmp_path):
    proxy, public, loopback = proxy
    result = run_cli("crawl", f"{public}/news/redirect.html", f"{public}/news/refresh.html", f"{loopback}/direct.html",
                     "--db", "a.db", *FAST)
    feed = run_cli("crawl", "--feed", f"{public}/feed.xml", "--db", "a.db", *FAST)
    assert "Traceback" not in result.stderr + feed.stderr
    assert result.returncode == 1 and feed.returncode == 1
    assert secrets_requested(proxy) == []
    pages = pages_of(tmp_path / "a.db")
    refused = "not followed: a page on a public address (news.example) led to a loopback one (127.0.0.1)"
    for url in (f"{public}/news/redirect.html", f"{public}/news/refresh.html", f"{loopback}/secret-3.html"):
        assert pages[url][0] == "failed" and pages[url][1].startswith(refused), pages[url]
    # What the user names is fetched on any address; the feed's other entry too.
    assert pages[f"{loopback}/direct.html"][0] == "archived"
    assert pages[f"{public}/news/ok.html"][0] == "archived"
    assert os.environ["http_proxy"] == loopback  # the crawl really went through the proxy
    assert any(p.startswith(public) for p in proxy.paths_requested())


def test_a_setting_allows_private_addresses(proxy, run_cli, tmp_path):
    proxy, public, loopback = proxy
    result = run_cli("crawl", f"{public}/news/redirect.html", f"{public}/news/refresh.html",
                     "--db", "a.db", *FAST, "-s", "ARCHIVER_ALLOW_PRIVATE_ADDRESSES=1")
    assert result.returncode == 0, result.stderr
    assert sorted(secrets_requested(proxy)) == [f"{loopback}/secret-1.html", f"{loopback}/secret-2.html"]
