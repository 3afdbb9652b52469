"""The pure pieces of watching: the watch schedule, change measures and min_change, the
soft-404 and gone rules, front pages' story links, the Atom feed."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree

import pytest

from archiver.diff import Change, MinChange, change_excerpt, change_summary, measure_change
from archiver.export import write_atom
from archiver.extract import extract_article
from archiver.extract.article_check import gone_reason, soft_404
from archiver.revisits import WATCH_INTERVALS, Watch, check_due, next_check, observed

T0 = datetime(2024, 3, 6, 8, 0, tzinfo=timezone.utc)
H, D = timedelta(hours=1), timedelta(days=1)


def watch(**kw) -> Watch:
    return Watch(**{"url": "https://example.com/a", "started": T0, "window": 30 * D, "last": T0, **kw})


def test_the_intervals_are_the_documented_ones():
    assert WATCH_INTERVALS == (H, 3 * H, 9 * H, D, 3 * D, 7 * D)


def test_unchanged_checks_decay_until_the_window_ends():
    w, times = watch(), []
    while (due := next_check(w)) is not None:
        times.append(due - T0)
        w = observed(w, due, changed=False)
    # 1h, +3h, +9h, +1d, +3d, +7d, then weekly, as long as the 30 days last.
    assert times == [H, 4 * H, 13 * H, D + 13 * H, 4 * D + 13 * H, 11 * D + 13 * H, 18 * D + 13 * H,
                     25 * D + 13 * H]


def test_a_change_starts_the_schedule_again():
    w = observed(watch(step=4, last=T0 + 5 * D), T0 + 6 * D, changed=True)
    assert (w.step, next_check(w)) == (0, T0 + 6 * D + H)


@pytest.mark.parametrize(("now", "due"), [(T0 + 59 * timedelta(minutes=1), False), (T0 + H, True),
                                          (T0 + 40 * D, False)])
def test_check_due(now, due):
    w = watch() if now < T0 + 30 * D else watch(last=T0 + 29 * D + 23 * H + 30 * timedelta(minutes=1))
    assert check_due(w, now) is due


def test_a_stored_window_can_be_replaced_by_the_sources_one():
    row = {"url": "https://example.com/a", "started_at": "2024-03-06T08:00:00+00:00", "window": 3600.0,
           "last_at": "2024-03-06T08:00:00", "step": 0}
    assert next_check(Watch.from_record(row)) == T0 + H  # a window of one hour: one check at its very end
    assert next_check(Watch.from_record(row, timedelta(minutes=30))) is None


# --- what changed ---------------------------------------------------------------

OLD = {"title": "Harbour dredging delayed", "description": "Storms stop the work.", "byline": "Jane Doe",
       "authors": ["Jane Doe"], "published_at": "2024-03-06", "modified_at": None,
       "body": "The harbour will be dredged in spring.\n\nThe mayor said the city would pay."}


@pytest.mark.parametrize(("edit", "fields", "added", "removed"), [
    ({"body": OLD["body"].replace("spring.", "spring, ")}, ("body",), 0, 0),  # punctuation: no words
    ({"body": OLD["body"].replace("The mayor", "THE MAYOR")}, ("body",), 0, 0),  # case: no words
    ({"body": OLD["body"].replace("spring", "April")}, ("body",), 1, 1),
    ({"title": "Harbour dredging delayed again", "modified_at": "2024-03-07"}, ("title", "modified_at"), 1, 0),
    ({"authors": ["Jane Doe", "Li Wei"], "byline": "Jane Doe and Li Wei"}, ("byline", "authors"), 3, 0),
    ({"description": None}, ("description",), 0, 4),
])
def test_measure_change(edit, fields, added, removed):
    change = measure_change(OLD, {**OLD, **edit})
    assert (change.fields, change.words_added, change.words_removed) == (fields, added, removed)


def test_body_share_is_the_part_of_the_words_that_changed():
    change = measure_change(OLD, {**OLD, "body": OLD["body"].replace("spring", "April")})
    assert change.body_share == round(2 / 28, 4)  # 14 words before, 14 after


@pytest.mark.parametrize(("value", "expected"), [
    (None, MinChange()), (0, MinChange()), (3, MinChange(words=3)), ("3", MinChange(words=3)),
    ("3 words", MinChange(words=3)), ("2%", MinChange(share=0.02)), ("0.5 %", MinChange(share=0.005)),
])
def test_min_change_values(value, expected):
    assert MinChange.parse(value) == expected


@pytest.mark.parametrize("value", ["-1", -1, "lots", "2.5", True, "3%%"])
def test_min_change_refuses_what_it_cannot_read(value):
    with pytest.raises(ValueError, match="min_change"):
        MinChange.parse(value)


@pytest.mark.parametrize(("rule", "change", "too_small"), [
    (MinChange(), Change(("body",)), False),  # the default: every change of the text counts
    (MinChange(words=1), Change(("body",)), True),  # a comma
    (MinChange(words=2), Change(("body",), 1, 1), False),
    (MinChange(words=3), Change(("body",), 1, 1), True),
    (MinChange(share=0.05), Change(("body",), 1, 1, 0.02), True),
    (MinChange(share=0.05), Change(("body",), 4, 4, 0.06), False),
])
def test_min_change_decides_what_is_too_small(rule, change, too_small):
    assert rule.too_small(change) is too_small


def test_the_excerpt_shows_each_field_and_the_words_around_each_body_change():
    words = " ".join(f"w{i}" for i in range(30))
    new = {**OLD, "title": "Harbour dredging delayed again", "body": f"Start {words} middle {words} spring"}
    old = {**OLD, "body": f"Start {words} centre {words} spring"}
    text = change_excerpt(old, new, measure_change(old, new), context=3)
    assert text == ("title: 'Harbour dredging delayed' -> 'Harbour dredging delayed again'\n"
                    "body: … w27 w28 w29 [-centre-] {+middle+} w0 w1 w2 …")
    assert len(change_excerpt(old, new, measure_change(old, new), limit=40)) == 40


def test_change_summaries():
    assert change_summary({"kind": "changed", "fields": ["title", "body"], "words_added": 3, "words_removed": 1,
                           "body_share": 0.04}) == "title, body changed: +3 -1 words, 4% of the body"
    assert change_summary({"kind": "gone", "reason": "HTTP 410 Gone"}) == "HTTP 410 Gone"


# --- gone -------------------------------------------------------------------------

@pytest.mark.parametrize(("titles", "headings", "body", "evidence"), [
    (["Page not found | Gazette"], [], "", '"Page not found" in the title'),
    (["Gazette"], ["Oops! That page can't be found."], "", "\"Oops! That page can't be found.\" in the headline"),
    (["404 Not Found"], [], "", '"404 Not Found" in the title'),
    (["Seite nicht gefunden – Zeitung"], [], "", '"Seite nicht gefunden" in the title'),
    (["Página no encontrada"], [], "", '"Página no encontrada" in the title'),
    (["Gazette"], [], "Sorry, the page you requested could not be found.",
     '"the page you requested could not be found" in the text'),
    # Headlines and briefs that only mention the words.
    (["Missing hiker not found after three days"], [], "Short brief.", None),
    (["Flight 404 lands safely"], [], "", None),
    (["Gazette"], [], "Police said the boy was not found.", None),
    (["Page not found"], [], " ".join(["word"] * 151), None),  # a real article about it
])
def test_soft_404(titles, headings, body, evidence):
    assert soft_404(titles=titles, headings=lambda: headings, body=body) == evidence


STORY = "https://example.com/news/harbour-dredging-delayed.html"


@pytest.mark.parametrize(("record", "reason"), [
    ({"is_article": True, "url": STORY}, None),
    ({"is_article": False, "soft_404": '"Page not found" in the title', "url": STORY},
     'soft 404: "Page not found" in the title'),
    ({"is_article": False, "not_article_reason": "home page", "url": "https://example.com/"},
     "sent to the home page (https://example.com/)"),
    ({"is_article": False, "not_article_reason": "list of links, no paragraphs", "url": "https://example.com/news/"},
     "sent to a page that is no story (https://example.com/news/: list of links, no paragraphs)"),
    # A wall is not a removal; nor is a story that is short today at its own URL.
    ({"is_article": False, "not_article_reason": "site page (about, contact or legal)",
      "url": "https://example.com/login"}, None),
    ({"is_article": False, "not_article_reason": "too little text (12 words)", "url": STORY}, None),
])
def test_gone_reason(record, reason):
    assert gone_reason(record, requested_url=STORY) == reason


# --- front pages ----------------------------------------------------------------------

FRONT = """<html><head><title>Gazette</title></head><body>
<nav><a href="/news/menu-link-to-a-story.html">In the menu</a></nav>
<main>
<a href="/news/zeppelin-hangar-reopens-as-museum.html"><img src="z.jpg" alt="A hangar"></a>
<h2><a href="/news/harbour-dredging-delayed-by-storms.html">Harbour dredging delayed</a></h2>
<h2><a href="/news/zeppelin-hangar-reopens-as-museum.html">Zeppelin hangar reopens</a></h2>
<a href="/about-us">About us</a> <a href="/tag/harbour/">harbour</a>
<a href="https://elsewhere.example/news/a-story-on-another-site.html">Elsewhere</a>
<a href="/news/harbour-dredging-delayed-by-storms.html#comments">12 comments</a>
</main><footer><a href="/news/footer-link-to-a-story.html">In the footer</a></footer></body></html>"""


def test_a_front_page_keeps_its_story_links_in_order_with_their_headlines():
    record = extract_article(FRONT, "https://example.com/")
    assert record["is_article"] is False
    assert record["page_links"] == [
        {"url": "https://example.com/news/zeppelin-hangar-reopens-as-museum.html", "text": "Zeppelin hangar reopens"},
        {"url": "https://example.com/news/harbour-dredging-delayed-by-storms.html", "text": "Harbour dredging delayed"},
    ]


def test_an_article_keeps_no_front_page():
    from tests.support.pages import article_html

    assert extract_article(article_html(1), "https://example.com/news/story-1.html")["page_links"] == []


# --- the feed ---------------------------------------------------------------------------

def test_the_atom_feed_is_atom_with_stable_ids():
    rows = [{"change_id": 2, "at": "2024-03-06T09:00:00+00:00", "kind": "gone", "article_id": 1, "title": "A \x0bstory",
             "url": STORY, "reason": "HTTP 404 Not Found", "excerpt": None, "fields": []},
            {"change_id": 1, "at": "2024-03-06T08:00:00+00:00", "kind": "changed", "article_id": 1, "title": "A <b>",
             "url": STORY, "fields": ["body"], "words_added": 1, "words_removed": 0, "body_share": 0.1,
             "excerpt": "body: {+x+} & more"}]

    def feed() -> ElementTree.Element:
        out = io.StringIO()
        assert write_atom(rows, out, feed_key="k", self_url="http://127.0.0.1:8001/-/changes.atom") == 2
        return ElementTree.fromstring(out.getvalue())

    atom = "{http://www.w3.org/2005/Atom}"
    first, again = feed(), feed()
    entries = first.findall(f"{atom}entry")
    assert first.find(f"{atom}updated").text == "2024-03-06T09:00:00Z"
    assert [e.find(f"{atom}title").text for e in entries] == ["Gone: A story", "Changed: A <b>"]
    assert entries[1].find(f"{atom}summary").text == "body changed: +1 -0 words, 10% of the body\n\nbody: {+x+} & more"
    assert [e.find(f"{atom}id").text for e in entries] == [e.find(f"{atom}id").text
                                                           for e in again.findall(f"{atom}entry")]
    assert len({e.find(f"{atom}id").text for e in entries}) == 2
