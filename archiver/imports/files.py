"""`archiver import FILE…`: the captures of web archive files as jobs for the runner.

Each HTML response is extracted like a crawled page: its target URI is the URL,
its capture time the fetch time. What is not a page gets its outcome here: revisit
records are sightings (unchanged), other responses are skipped with the reason, a
record that cannot be read fails. Records an earlier import took in are passed over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path

from archiver.extract.sites import Sites
from archiver.imports.captures import OUTSIDE, Capture, CaptureFilters, UnreadableFile, content_type, read_captures
from archiver.imports.runner import Job
from archiver.normalize.urls import canonical_url
from archiver.store.writer import FAILED, SKIPPED, UNCHANGED, ArchiveWriter, Fetched


def import_jobs(paths: Iterable[str | Path], writer: ArchiveWriter, *, filters: CaptureFilters | None = None,
                sites: Sites | None = None, known: Callable[[str], bool] = lambda key: False) -> Iterator[Job]:
    """Jobs for the runner from the files' captures, in file order; outcomes that
    need no extraction are given to `writer` on the way. `known(key)`: whether an
    earlier import took the record in."""
    sites = sites or Sites()
    for path in paths:
        try:
            for capture in read_captures(path, filters):
                if capture == OUTSIDE:
                    writer.tally("outside_filters")
                    yield Job()
                elif known(capture.key):
                    writer.tally("imported_before")
                    yield Job()
                else:
                    yield _job(capture, writer, sites)
        except (UnreadableFile, OSError) as exc:
            writer.add_outcome(str(path), FAILED, str(exc) if isinstance(exc, UnreadableFile)
                               else f"cannot read {path}: {exc.strerror or exc}")
            yield Job()


def _job(capture: Capture, writer: ArchiveWriter, sites: Sites) -> Job:
    url = canonical_url(capture.url) or capture.url

    def outcome(outcome: str, reason: str, **extra) -> Job:
        writer.add_outcome(extra.pop("url", capture.url), outcome, reason, capture.status, import_key=capture.key,
                           **extra)
        return Job()

    if capture.problem:
        return outcome(FAILED, capture.problem)
    if capture.kind == "revisit":
        # A sighting of the article at its canonical URL, when the archive has it.
        return outcome(UNCHANGED, "revisit record: the same content as an earlier capture",
                       url=url, seen_at=capture.fetched_at)
    mime = content_type(capture.headers).split(";")[0].strip().lower()
    if not 200 <= (capture.status or 0) < 300:
        return outcome(SKIPPED, f"not a page: HTTP {capture.status} response")
    if not capture.body:
        return outcome(SKIPPED, f"not HTML ({mime})" if mime else "empty response")
    page = Fetched(requested_url=capture.url, record={}, fetched_at=capture.fetched_at, status=capture.status,
                   headers=capture.headers, raw=capture.body, import_key=capture.key)
    return Job(page, extract=dict(url=capture.url, content_type=content_type(capture.headers) or None,
                                  fetched_at=datetime.fromisoformat(capture.fetched_at), site=sites.for_url(url)))
