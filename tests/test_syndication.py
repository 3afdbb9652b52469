"""The pure side of syndication clusters: shingles, signatures (pinned: they are stored),
copies and non-copies, wire credits, and which copy is the original."""

from __future__ import annotations

import pytest

from archiver import syndication as sy
from tests.support.stories import REEF, REEF_EDITED, REEF_OTHER, UNRELATED, body


def test_shingles_fold_case_unicode_and_punctuation():
    assert sy.shingles("The  CAFÉ opened, again: on Friday!") == sy.shingles("the café opened again on friday")
    assert sy.shingles("one two three four five six") == {"one two three four five", "two three four five six"}
    assert sy.shingles("too short") == set()


def test_signatures_and_buckets_never_change_meaning():
    # Stored in every archive: a change here needs a migration that recomputes them.
    sig = sy.signature(body(REEF))
    assert sig.shingles == 193
    assert sig.values[:4] == (1564919726, 3279308833, 2477953684, 4087418413)
    assert sig.buckets()[:2] == [34637983357779444, 97014311137666278]
    assert len(sig.values) == sy.BINS and len(sig.buckets()) == sy.BANDS
    assert sy.Signature.unpacked(sig.packed(), sig.shingles) == sig


def test_a_body_too_short_to_tell_has_no_signature():
    assert sy.signature("Subscribe to read the rest of this story. Already a subscriber? Log in.") is None
    assert sy.signature(None) is None


def _exact_jaccard(a: str, b: str) -> float:
    x, y = sy.shingles(a), sy.shingles(b)
    return len(x & y) / len(x | y)


def test_the_estimate_follows_the_exact_similarity():
    original, edited = body(REEF), body(REEF_EDITED)
    estimate = sy.signature(original).similarity(sy.signature(edited))
    assert abs(estimate - _exact_jaccard(original, edited)) < 0.12
    assert sy.signature(original).similarity(sy.signature(original)) == 1.0


@pytest.mark.parametrize(("other", "is_copy"), [
    (REEF, True),
    (REEF_EDITED, True),  # a new lede, a paragraph of its own, the end cut
    (REEF[:3], True),  # trimmed for length: half the story, all of it the wire's text
    (REEF_OTHER, False),  # the same subject in other words
    (UNRELATED, False),
    (UNRELATED[:3] + REEF[-2:], False),  # another story that ends with this one's background
], ids=["same", "edited", "trimmed", "same-subject", "unrelated", "follow-up"])
def test_copies_and_stories_that_must_stay_apart(other, is_copy):
    wire = sy.signature(body(REEF))
    assert wire.is_copy(sy.signature(body(other))) is is_copy


def test_a_trimmed_copy_is_contained_though_less_similar():
    wire, trimmed = sy.signature(body(REEF)), sy.signature(body(REEF[:3]))
    assert wire.similarity(trimmed) < 0.7 and wire.contained(trimmed) > 0.85


@pytest.mark.parametrize(("byline", "text", "credit"), [
    ("Voice of America News", "", "Voice of America"),
    ("By AP", "", "Associated Press"),
    ("By JANE DOE Associated Press", "", "Associated Press"),
    ("Jane Doe", "WASHINGTON (AP) — The Senate voted on Tuesday.", "Associated Press"),
    (None, "LONDON (Reuters) - Shares fell.", "Reuters"),
    (None, "Berlin (dpa) - Der Bundestag hat entschieden.", "dpa"),
    (None, "The Senate voted.\n\nThe Associated Press contributed to this report.", "Associated Press"),
    # Mentions are not credits.
    ("Jane Doe", "The minister told Reuters on Monday that talks would go on.\n\nMore talks follow.", None),
    ("Apollo Smith", "Mapping the apps.", None),
    (None, "", None),
], ids=["byline-name", "byline-short", "byline-with-writer", "dateline-ap", "dateline-reuters", "dateline-dpa",
        "closing-line", "a-mention", "no-word-inside-a-word", "nothing"])
def test_wire_credit(byline, text, credit):
    assert sy.wire_credit(byline, text) == credit


@pytest.mark.parametrize(("site", "site_name", "agency"), [
    ("www.voanews.com", None, "Voice of America"),
    ("apnews.com", None, "Associated Press"),
    ("127.0.0.1", "Voice of America", "Voice of America"),
    ("dailyharbor.example", "Daily Harbor", None),
])
def test_agency_site(site, site_name, agency):
    assert sy.agency_site(site, site_name) == agency


def _article(i, published, site="copy.example", site_name=None):
    return {"id": i, "published_at": published, "site": site, "site_name": site_name}


def test_the_original_is_the_copy_published_first():
    members = [_article(1, "2021-05-07T18:00:00+00:00"), _article(2, "2021-05-07T10:00:00-04:00"),
               _article(3, None), _article(4, "2021-05-07T15:30:00+01:00")]
    # 14:00, 14:30 and 18:00 UTC, then undated.
    assert [m["id"] for m in sorted(members, key=sy.original_key)] == [2, 4, 1, 3]


def test_a_bare_day_counts_as_the_end_of_that_day():
    assert sy.original_key(_article(2, "2021-05-07T22:00:00+00:00")) < sy.original_key(_article(1, "2021-05-07"))
    assert sy.original_key(_article(1, "2021-05-07")) < sy.original_key(_article(2, "2021-05-08T00:30:00+00:00"))


def test_at_the_same_time_the_agency_site_then_the_first_archived():
    same = "2021-05-07T14:00:00+00:00"
    agency = _article(9, same, site="www.voanews.com")
    assert min([_article(3, same), agency, _article(5, same)], key=sy.original_key) is agency
    assert min([_article(5, None), _article(3, None)], key=sy.original_key)["id"] == 3


def test_evidence_says_why_in_words():
    original = {**_article(1, "2021-05-07T14:00:00+00:00", site_name="Voice of America"), "credit": "Voice of America"}
    copies = [{**_article(2, "2021-05-07"), "credit": "Voice of America"}, {**_article(3, None), "credit": None}]
    assert sy.original_evidence(original, copies) == [
        "published first (2021-05-07T14:00:00+00:00)", "on the site of Voice of America",
        "2 of 3 copies credit Voice of America"]
    undated = sy.original_evidence(_article(5, None), [_article(6, None)])
    assert undated == ["no copy states a publication time; archived first"]
