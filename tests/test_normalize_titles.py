"""Title rules: cleaning, site-name stripping, choice by agreement."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.normalize.titles import MAX_TITLE, choose_title, normalize_title, strip_site_name


@pytest.mark.parametrize(
    "raw, sites, expected",
    [
        ("Story about reefs | Harbor Daily", ["Harbor Daily"], "Story about reefs"),
        ("Story about reefs - Harbor Daily", ["Harbor Daily"], "Story about reefs"),
        ("Harbor Daily :: Story about reefs", ["Harbor Daily"], "Story about reefs"),
        ("Story about reefs – The Harbor Daily", ["harbordaily.example"], "Story about reefs"),
        ("Story | Section | Harbor Daily", ["Harbor Daily"], "Story | Section"),
        ("Story about reefs | CBC News", ["cbc.ca"], "Story about reefs"),
        # Hyphens and colons without spaces are part of the headline.
        ("Covid-19 cases fall in Harbor-Daily county", ["Harbor Daily"], "Covid-19 cases fall in Harbor-Daily county"),
        ("Re:Invent opens - Harbor Daily", ["Harbor Daily"], "Re:Invent opens"),
        # A colon in the headline is not a site separator unless the site stands before it.
        ("Kicker: the story", ["Harbor Daily"], "Kicker: the story"),
        ("No site names known | Anything", [], "No site names known | Anything"),
        # A section's heading beside the site's name goes with it.
        ("Time 4 talks » Blog Archiv » Weitere Kinos digital", ["Time 4 talks"], "Weitere Kinos digital"),
        ("Drusen fordern Teilhabe - News - SRF", ["srf.ch"], "Drusen fordern Teilhabe"),
    ],
)
def test_strip_site_name(raw, sites, expected):
    assert normalize_title(raw, site_names=sites) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  Rain   returns\n to the valley ", "Rain returns to the valley"),
        ("Caf&eacute; owners say &#8220;no&#8221;", "Café owners say “no”"),
        ("Zero\u200bwidth and soft\u00adhyphen", "Zerowidth and softhyphen"),
        ("NASA beams cat video to Earth (video)", "NASA beams cat video to Earth"),
        ("WATCH: Dan + Shay sing", "Dan + Shay sing"),
        ("„Unermüdlicher Einsatz“", "„Unermüdlicher Einsatz“"),
        ("''Doubled quotes''", "'Doubled quotes'"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_title(raw, expected):
    assert normalize_title(raw) == expected


def test_long_title_is_cut_at_a_word():
    title = normalize_title("word " * 500)
    assert len(title) <= MAX_TITLE and title.endswith("word")


@pytest.mark.parametrize(
    "candidates, expected",
    [
        # The visible headline and og:title agree; the SEO <title> loses.
        ([("json-ld", "All the new iPhone features"), ("meta", "No, iPhones are not all the same"),
          ("h1", "No, iPhones are not all the same"), ("title", "All the new iPhone features | Site")],
         "No, iPhones are not all the same"),
        # A kicker glued before the headline by one source, stated alone by two.
        ([("json-ld", "What I will pray for"), ("meta", "Opinion | What I will pray for"),
          ("title", "What I will pray for - The Paper")], "What I will pray for"),
        # Markup keeps the separator the rendered <h1> lost between its spans.
        ([("meta", "Ahrtal-Flut: Zwei Rücktritte"), ("h1", "Ahrtal-Flut Zwei Rücktritte")], "Ahrtal-Flut: Zwei Rücktritte"),
        # Only the <title> is known: its site name goes.
        ([("title", "Spring regatta moved | Riverside Rowing")], "Spring regatta moved"),
        # A heading that is just the site's name is never the title.
        ([("h1", "Riverside Rowing"), ("title", "Spring regatta moved | Riverside Rowing")], "Spring regatta moved"),
        # A section's heading ("Our Work", "Categories") yields to any headline...
        ([("h1", "Our Work"), ("meta", "Spring regatta moved to May")], "Spring regatta moved to May"),
        ([("h1", "Stories Chosen For You"), ("h1", "Spring regatta moved to May"),
          ("title", "Spring regatta moved to May")], "Spring regatta moved to May"),
        ([("h1", "Pressemitteilungen"), ("h1", "Norddeutschland findet seine Meister")],
         "Norddeutschland findet seine Meister"),
        # ...and is the title only of a page that has nothing else.
        ([("h1", "About us")], "About us"),
        # Metadata that cuts the headline short yields to the page's headline it begins...
        ([("json-ld", "Ferry service to resume after visiting Israel"),
          ("meta", "Ferry service to resume after visiting Israel"),
          ("h1", "Ferry service to resume after visiting Israeli harbours hit by the storm"),
          ("title", "Ferry service to resume after visiting Israel | Ledger")],
         "Ferry service to resume after visiting Israeli harbours hit by the storm"),
        ([("meta", "Lemon cake from the baking tray"), ("h1", "Lemon cake from the baking tray: simply delicious!")],
         "Lemon cake from the baking tray: simply delicious!"),
        # ...but not to a headline with a site's or a section's tail.
        ([("json-ld", "Ferry service to resume on the north shore"), ("meta", "Ferry service to resume on the north shore"),
          ("h1", "Ferry service to resume on the north shore | LEDGER.NET")],
         "Ferry service to resume on the north shore"),
        ([("json-ld", "Ferry service to resume on the north shore"), ("meta", "Ferry service to resume on the north shore"),
          ("h1", "Ferry service to resume on the north shore 02.02.2022 • News, Harbour")],
         "Ferry service to resume on the north shore"),
    ],
)
def test_choose_title(candidates, expected):
    title, _ = choose_title(candidates, site_names=["Riverside Rowing", "The Paper", "Site"])
    assert title == expected


def test_choose_title_explains_every_candidate():
    trail = []
    title, _ = choose_title([("h1", "Categories"), ("meta", "Spring regatta moved"), ("title", "Spring regatta moved")],
                            trail=trail)
    assert title == "Spring regatta moved"
    verdicts = {(source, chosen): verdict for source, _, _, verdict, chosen in trail}
    assert verdicts[("h1", False)] == "a section's heading, not a story's"
    assert verdicts[("meta", True)].startswith("chosen: the best supported headline")
    assert verdicts[("title", False)] == "supports the chosen headline"


def test_choose_title_without_candidates():
    assert choose_title([]) == (None, None)


def test_strip_site_name_keeps_a_title_that_is_only_the_site():
    assert strip_site_name("Harbor Daily", ["Harbor Daily"]) == "Harbor Daily"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600), st.lists(st.text(max_size=30), max_size=3))
def test_normalize_title_properties(text, sites):
    once = normalize_title(text, site_names=sites)
    assert once is None or len(once) <= len(text)
    assert normalize_title(once, site_names=sites) == once


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["json-ld", "meta", "h1", "title", "feed"]), st.text(max_size=200)), max_size=5))
def test_choose_title_never_raises(candidates):
    title, source = choose_title(candidates, site_names=["Site"])
    assert (title is None) == (source is None)
