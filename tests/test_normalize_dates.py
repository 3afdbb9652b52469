"""Date rules: formats, languages, offsets, plausibility, URLs, relative dates."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.normalize.dates import date_from_url, local_form, normalize_date, parse_date, relative_date

FETCHED = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "raw, expected",
    [
        # ISO 8601 keeps the page's offset; "Z" is UTC.
        ("2024-03-06T08:15:00-05:00", "2024-03-06T08:15:00-05:00"),
        ("2024-03-06T08:15:00Z", "2024-03-06T08:15:00+00:00"),
        ("2024-03-06T08:15:00.123+0100", "2024-03-06T08:15:00+01:00"),
        ("2024-03-06 08:15:00", "2024-03-06T08:15:00"),
        ("20240306", "2024-03-06"),
        # Only a day known: a bare day.
        ("2024-03-06", "2024-03-06"),
        # Visible date lines in English, with zone abbreviations.
        ("Updated 8:15 AM EST, Wed March 6, 2024", "2024-03-06T08:15:00-05:00"),
        ("March 6th, 2024 at 5:30 pm", "2024-03-06T17:30:00"),
        ("Wed, 06 Mar 2024 08:15:00 GMT", "2024-03-06T08:15:00+00:00"),
        ("Posted by John on 04/18/2019", "2019-04-18"),
        ("2024/03/06 08:15", "2024-03-06T08:15:00"),
        # Other languages: day-first numbers, month names.
        ("18.04.2019 10:12", "2019-04-18T10:12:00"),
        ("3. Mai 2024, 14:30 Uhr", "2024-05-03T14:30:00"),
        ("12 mai 2024", "2024-05-12"),
        ("12 de mayo de 2024", "2024-05-12"),
        ("6. März 2024", "2024-03-06"),
        # Unix time stamps from meta tags.
        ("1709730900", "2024-03-06T13:15:00+00:00"),
        # Impossible or implausible dates are rejected.
        ("0000-00-00", None),
        ("2099-01-01", None),
        ("1970-01-01", None),
        ("2024-02-30", None),
        ("2024-06-04", None),  # three days after the fetch
        ("no date here", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(raw, expected):
    assert parse_date(raw, fetched_at=FETCHED) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        # The day after the fetch's UTC day has begun at UTC+14 (10:00 UTC): it may be stated.
        ("2024-06-02", "2024-06-02"),
        ("2024-06-03", None),
        # A stated offset is compared as it is; a clock with no zone as the earliest zone's.
        ("2024-06-01T11:59:00+00:00", "2024-06-01T11:59:00+00:00"),
        ("2024-06-01T12:01:00+00:00", None),
        ("2024-06-02T01:00:00", "2024-06-02T01:00:00"),
        ("2024-06-02T03:00:00", None),
    ],
)
def test_no_date_later_than_the_fetch(raw, expected):
    assert parse_date(raw, fetched_at=FETCHED) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("3 hours ago", "2024-06-01T09:00:00+00:00"),
        ("vor 2 Tagen", "2024-05-30"),
        ("il y a 5 minutes", "2024-06-01T11:55:00+00:00"),
        ("yesterday", "2024-05-31"),
        ("Gestern, 10:00", "2024-05-31"),
        ("Updated today at 10:30 a.m. EST", "2024-06-01"),
        ("Publié aujourd'hui à 10h30", "2024-06-01"),
        ("a while back", None),
        # In running text the words date nothing: no record is dated from prose.
        ("It is clear today that the plan failed.", None),
        ("Join for $1 today.", None),
        ("Il est clair aujourd'hui que", None),
        ("Wir waren gestern im Kino und heute wieder", None),
    ],
)
def test_relative_date(raw, expected):
    assert relative_date(raw, FETCHED) == expected


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://example.com/2021/05/12/story-slug/", "2021-05-12"),
        ("https://example.com/news/2021-05-12-story", "2021-05-12"),
        ("https://example.com/news/20210512/story.html", "2021-05-12"),
        ("https://example.com/2021/05/story", None),  # a month is not a day
        ("https://example.com/story-123456789", None),
        (None, None),
    ],
)
def test_date_from_url(url, expected):
    assert date_from_url(url, FETCHED) == expected


@pytest.mark.parametrize(
    "iso, shown, expected",
    [
        # The page shows the same instant with its own offset: that is its local form.
        ("2023-12-23T03:22:07+00:00", ["2023-12-22T22:22:07-0500"], "2023-12-22T22:22:07-05:00"),
        # It shows the previous day (with a clock of no zone that fits the instant): that
        # day is the day; the offset is never guessed from the clock.
        ("2023-12-24T01:06:51+00:00", ["Dec 23, 2023 5:06pm PT"], "2023-12-23"),
        # A visible bare day, or the URL's day, fixes the day the same way.
        ("2023-12-02T03:00:00+00:00", ["December 1, 2023"], "2023-12-01"),
        ("2018-12-31T23:11:59+00:00", [None, "2019-01-01"], "2019-01-01"),
        # A clock shown as 12-hour time of a 24-hour UTC time: same day, nothing changes
        # (not "05:09:17-12:00").
        ("2025-11-05T17:09:17+00:00", ["05.11.2025, 5:09 Uhr"], "2025-11-05T17:09:17+00:00"),
        # A day no zone has at that instant is another story's.
        ("2023-12-02T20:00:00+00:00", ["December 1, 2023"], "2023-12-02T20:00:00+00:00"),
        # A shown time that is not the same instant says nothing about the offset.
        ("2023-12-22T16:22:00+00:00", ["Saturday 23 December 2023 05:39"], "2023-12-22T16:22:00+00:00"),
        # Offsets stated by the markup are never replaced.
        ("2023-12-22T16:22:00+02:00", ["2023-12-22 14:22"], "2023-12-22T16:22:00+02:00"),
        ("2023-12-22", ["2023-12-22 14:22"], "2023-12-22"),
    ],
)
def test_local_form(iso, shown, expected):
    assert local_form(iso, shown, fetched_at=FETCHED) == expected


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120))
def test_parse_date_properties(text):
    once = normalize_date(text, fetched_at=FETCHED)
    assert normalize_date(once, fetched_at=FETCHED) == once
