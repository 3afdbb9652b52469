"""WaybackSpider: an article's (or a site's) history from the Wayback Machine.

Captures are listed through the CDX API (JSON output, 200 responses of HTML,
adjacent identical captures collapsed, paged with resume keys), and each is
fetched raw through its `id_` URL: the page as it was captured, not the Wayback's
replay of it. Each becomes a page fetched at its capture's timestamp, for the
writer to place among the article's versions.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from archiver.items import IMPORT_KEY_META, ArticleItem, FailedFetch
from archiver.seeds import as_list
from archiver.spiders.base import ArchiverSpider
from archiver.spiders.errors import describe_failure

# The CDX fields asked for, in this order.
CDX_FIELDS = ("timestamp", "original", "mimetype", "statuscode", "digest")
_ID_URL = re.compile(r"/web/(\d{14})id_/")
# The captured page's own headers, as the Wayback relays them.
_ORIGINAL_HEADER = "x-archive-orig-"


def cdx_moment(text: str | None, *, end: bool = False) -> str | None:
    """A day or date-time as the CDX API's `from`/`to` (a prefix of yyyyMMddhhmmss)."""
    if not text:
        return None
    digits = re.sub(r"\D", "", text)[:14]
    return digits if not end or len(digits) > 8 else digits + "235959"[: 14 - len(digits)]


def capture_time(timestamp: str) -> datetime:
    return datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


class WaybackSpider(ArchiverSpider):
    """Import the Wayback Machine's captures of article URLs, or of a whole site.

    scrapy crawl wayback -a urls=URL1,URL2 [-a site=HOST] [-a from_date=2023-01-01] [-a to_date=2023-12-31]
                         -s ARCHIVER_WAYBACK_URL=https://web.archive.org -s ARCHIVER_DB=archive.db
    """

    name = "wayback"
    mode = "wayback"
    remember_fetches = False  # captures are not archiver's own fetches
    # Politeness towards one shared service: one request at a time, a second apart,
    # and more patience with its 429s and 503s. `-s` overrides each of them.
    custom_settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": 1, "DOWNLOAD_DELAY": 1.0, "AUTOTHROTTLE_START_DELAY": 1.0,
                       "RETRY_TIMES": 5}

    def __init__(self, urls=None, site=None, from_date=None, to_date=None, **kwargs):
        super().__init__(**kwargs)
        self.targets = list(dict.fromkeys(as_list(urls)))
        self.site_host = site
        self.from_date, self.to_date = from_date, to_date

    @property
    def run_args(self) -> dict:
        args = {"urls": self.targets if len(self.targets) <= 20 else f"{len(self.targets)} URLs", "site": self.site_host,
                "from": self.from_date, "to": self.to_date}
        return {k: v for k, v in args.items() if v}

    @property
    def base(self) -> str:
        return self.settings.get("ARCHIVER_WAYBACK_URL").rstrip("/")

    def seed_requests(self):
        if self.site_host:
            yield self.cdx_request({"url": self.site_host, "matchType": "domain"})
        for url in self.targets:
            yield self.checked(url) or self.cdx_request({"url": url})

    def cdx_request(self, query: dict, resume_key: str | None = None) -> scrapy.Request:
        params = {**query, "output": "json", "fl": ",".join(CDX_FIELDS),
                  "filter": ["statuscode:200", "mimetype:text/html"], "collapse": "digest",
                  "limit": self.settings.getint("ARCHIVER_WAYBACK_CDX_LIMIT", 500), "showResumeKey": "true"}
        for name, value in (("from", cdx_moment(self.from_date)), ("to", cdx_moment(self.to_date, end=True)),
                            ("resumeKey", resume_key)):
            if value:
                params[name] = value
        return scrapy.Request(f"{self.base}/cdx/search/cdx?{urlencode(params, doseq=True)}", callback=self.parse_cdx,
                              errback=self.on_error, meta={"cdx_query": query}, dont_filter=True)

    def parse_cdx(self, response: Response):
        try:
            rows = json.loads(response.text or "[]")
            header = rows[0] if rows else ["timestamp", "original"]
            if not isinstance(header, list) or not {"timestamp", "original"} <= set(header):
                raise ValueError(f"no timestamp and original fields in {str(header)[:100]}")
        except (ValueError, TypeError, AttributeError) as exc:
            yield FailedFetch(url=response.url, reason=f"not a CDX API answer (JSON rows): {exc}",
                              status=response.status)
            return
        resume_key = None
        for i, row in enumerate(rows[1:], start=1):
            if row == []:  # then the resume key of the next page, on a row of its own
                resume_key = rows[i + 1][0] if i + 1 < len(rows) and rows[i + 1] else None
                break
            capture = dict(zip(header, row))
            if capture.get("timestamp") and capture.get("original"):
                yield self.capture_request(capture["timestamp"], capture["original"])
        if resume_key:
            yield self.cdx_request(response.meta["cdx_query"], resume_key)

    def capture_request(self, timestamp: str, original: str) -> scrapy.Request:
        key = f"wayback {timestamp} {original}"
        return scrapy.Request(f"{self.base}/web/{timestamp}id_/{original}", callback=self.parse_capture,
                              errback=self.capture_failed, dont_filter=True,
                              meta={IMPORT_KEY_META: key, "original": original, "timestamp": timestamp})

    async def parse_capture(self, response: Response):
        meta = response.meta
        stamp = _ID_URL.search(response.url)  # a redirect may lead to the nearest capture
        at = capture_time(stamp.group(1) if stamp else meta["timestamp"])
        headers = {}
        for name, values in response.headers.items():
            name = name.decode("latin-1")
            value = b", ".join(values).decode("latin-1")
            if name.lower().startswith(_ORIGINAL_HEADER):
                headers[name[len(_ORIGINAL_HEADER):]] = value
            else:
                headers.setdefault(name, value)
        item = ArticleItem(requested_url=meta["original"], fetched_at=at.isoformat(timespec="seconds"),
                           status=response.status, headers=headers, import_key=meta[IMPORT_KEY_META])
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        yield await self.extracted(item, response, url=meta["original"], content_type=content_type, fetched_at=at)

    def capture_failed(self, failure):
        request = failure.request
        status = getattr(getattr(failure.value, "response", None), "status", None)
        yield FailedFetch(url=request.meta["original"], reason=f"capture {request.meta['timestamp']}: "
                          f"{describe_failure(failure)}", status=status, import_key=request.meta[IMPORT_KEY_META])
