"""`archiver reextract`: today's extraction over the stored responses, as runner jobs.

Each article's current version is extracted again from its stored response; the
writer adds a version only where a versioned field (title, byline, authors, dates,
body) changed, refreshes the other fields in place, and leaves the rest alone. The
run's cursor is the last article id written, so a killed run resumes there; a
finished one, run again, changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from archiver.extract.sites import Sites
from archiver.imports.runner import Job
from archiver.record import differences, makes_version
from archiver.store.queries import get_article
from archiver.store.writer import SKIPPED, Fetched


def no_longer(reason: str) -> str:
    """A re-extracted page that is not an article now: it stays archived as it was."""
    return f"kept as it was; today's extraction says {reason}"


def reextract_jobs(articles: Iterable[dict], writer, *, sites: Sites | None = None) -> Iterator[Job]:
    """Jobs for the runner from `queries.reextract_articles` rows (cursor: the article id)."""
    from archiver.imports.runner import fetch_time

    sites = sites or Sites()
    for article in articles:
        response = article["response"]
        cursor = str(article["id"])
        if response is None:
            writer.add_outcome(article["url"], SKIPPED, "no stored response of the current version "
                               "(crawled with ARCHIVER_KEEP_RAW=0?)")
            yield Job(cursor=cursor)
            continue
        page = Fetched(requested_url=response["url"], record={}, fetched_at=response["fetched_at"],
                       status=response["status"] or 200, headers=response["headers"], raw=response["body"],
                       reextract_of=article["id"])
        content_type = next((v for k, v in response["headers"].items() if k.lower() == "content-type"), None)
        yield Job(page, cursor=cursor, extract=dict(
            url=response["final_url"] or response["url"], content_type=content_type,
            fetched_at=fetch_time(response["fetched_at"]), site=sites.for_url(article["url"])))


@dataclass
class DryRun:
    """Stands in for the writer in a dry run: counts, per site and field, the articles
    whose fields would change, and how many would get a new version (the writer's
    comparison, on the same stored article)."""

    db: object
    changed: Counter = field(default_factory=Counter)  # (site, field) -> articles
    articles: Counter = field(default_factory=Counter)  # site -> articles that would change
    versions: Counter = field(default_factory=Counter)  # site -> new versions
    seen: Counter = field(default_factory=Counter)  # site -> articles read
    skipped: int = 0
    failed: int = 0
    pending: int = 0

    def add_article(self, page: Fetched) -> None:
        stored = get_article(self.db, str(page.reextract_of))
        site = stored["site"]
        self.seen[site] += 1
        fields = differences(stored, page.record)
        for name in fields:
            self.changed[(site, name)] += 1
        if fields:
            self.articles[site] += 1
            self.versions[site] += makes_version(fields)

    def add_outcome(self, url, outcome, reason=None, status=None, **extra) -> None:
        if outcome == SKIPPED:
            self.skipped += 1
        else:
            self.failed += 1

    def flush(self) -> None:
        pass

    def set_cursor(self, cursor: str) -> None:
        pass

    def rows(self) -> list[dict]:
        """One row per site and changed field, then a total per site."""
        out = [{"site": site, "field": name, "articles": n} for (site, name), n in sorted(self.changed.items())]
        out += [{"site": site, "field": "(new versions)", "articles": self.versions[site]}
                for site in sorted(self.articles)]
        return out
