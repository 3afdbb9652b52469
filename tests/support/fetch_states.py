"""A fetch-state source that is not the archive, for the revisit middleware's setting
(`-s ARCHIVER_FETCH_STATES=tests.support.fetch_states.FetchedJustNow`)."""

from __future__ import annotations

from datetime import datetime, timezone

from archiver.revisits import FetchState


class FetchedJustNow:
    """Claims every URL was archived a moment ago, so nothing is due."""

    def get(self, url: str) -> FetchState:
        return FetchState(url=url, fetched_at=datetime.now(timezone.utc), archived=True)

    def close(self) -> None:
        pass
