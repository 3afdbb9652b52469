"""Scrapy items: what spiders hand to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Request meta, read by the spiders into ArticleItem: how a request was found (spiders set
# it: {"by": seed | feed | sitemap | link, "via": URL, "depth": hops}), and what the
# downloader received for it (archiver.capture sets it: url, protocol, headers, warc record).
FOUND_META = "archiver_found"
CAPTURE_META = "archiver_capture"
# The ArticleItem a page made (and a multi-page article carries to its next pages).
ARTICLE_ITEM_META = "archiver_article"


@dataclass
class ArticleItem:
    """One fetched page, extracted; pipelines decide whether it is stored."""

    requested_url: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    fetched_at: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # repr=False: the page's bytes never end up in a log line that shows the item.
    raw: bytes = field(default=b"", repr=False)
    raw_packed: bytes = field(default=b"", repr=False)  # the raw page, compressed where it was extracted
    skip_reason: str | None = None
    found: dict[str, Any] = field(default_factory=dict)  # FOUND_META of the request
    capture: dict[str, Any] = field(default_factory=dict, repr=False)  # CAPTURE_META of the response
    import_key: str | None = None  # an imported page: the capture it came from (see FailedFetch)


@dataclass
class FailedFetch:
    """A URL that could not be fetched, with a reason a person can read."""

    url: str = ""
    reason: str = ""
    status: int | None = None
    # An imported capture (a Wayback capture): its identity, so that a later run
    # passes over what this one took in and tries its failures again.
    import_key: str | None = None


# Request meta of an imported capture's request: the capture's identity.
IMPORT_KEY_META = "archiver_import_key"


@dataclass
class PassedOver:
    """A capture an earlier import took in: counted in the run (`tally`), not fetched."""

    tally: str = "imported_before"


@dataclass
class Unchanged:
    """An archived URL fetched again that had not changed (a 304 Not Modified)."""

    url: str = ""
    reason: str = ""
    status: int | None = None


@dataclass
class NotDue:
    """An archived URL not fetched at all: its revisit is not due yet.

    `listed` is True when the user named the URL (it then gets a line in the
    run's pages); links found while crawling are only counted.
    """

    url: str = ""
    reason: str = ""
    listed: bool = True
