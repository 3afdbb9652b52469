"""One vocabulary, every module: a byline prefix is a byline prefix to the byline
normalizer, to the body's credit-line cleaner and to the page's byline reader."""

from __future__ import annotations

import re

import pytest

from archiver.extract import extract_article
from archiver.normalize import vocab
from archiver.normalize.body import clean_body
from archiver.normalize.bylines import normalize_byline, split_authors
from tests.support.pages import article_html, paragraphs

# Each language's prefixes, as a person writes them before a name.
CREDITS = [
    ("Przez Jan Kowalski", "Jan Kowalski"),
    ("Tekst: Anna Nowak", "Anna Nowak"),
    ("Verfasst von Max Muster", "Max Muster"),
    ("A cura di Mario Rossi", "Mario Rossi"),
    ("Texte Jean Dupont", "Jean Dupont"),
    ("Texte : Jean Dupont", "Jean Dupont"),
    ("By Jane Doe", "Jane Doe"),
    ("Von Anna Müller", "Anna Müller"),
]


@pytest.mark.parametrize("credit, name", CREDITS)
def test_the_byline_normalizer_strips_every_prefix(credit, name):
    assert normalize_byline(credit) == name
    assert split_authors(credit) == [name]


@pytest.mark.parametrize("credit, name", CREDITS)
def test_the_body_cleaner_drops_the_same_credit_lines(credit, name):
    text = "\n\n".join([paragraphs(1)[0], credit, paragraphs(1)[1]])
    assert clean_body(text) == "\n\n".join(paragraphs(1)[:2])


@pytest.mark.parametrize("prefix", vocab.BYLINE_LINE_PREFIXES)
def test_every_prefix_of_the_vocabulary_is_known_to_both(prefix):
    credit = f"{prefix.capitalize()} Maria Lopez Garcia"
    assert normalize_byline(credit) == "Maria Lopez Garcia"
    assert clean_body(f"{paragraphs(2)[0]}\n\n{credit}") == paragraphs(2)[0]


def test_a_sentence_start_is_not_taken_for_a_credit_line():
    # "de" introduces a byline in Spanish, but begins names and sentences too.
    assert normalize_byline("de María López") == "María López"
    assert clean_body("De Gaulle Airport Reopens Today") == "De Gaulle Airport Reopens Today"


@pytest.mark.parametrize("credit, name", CREDITS[:5])
def test_a_byline_element_credits_the_person(credit, name):
    html = article_html(1).replace('<p class="byline">By Jane Doe</p>', f'<div class="byline">{credit}</div>')
    html = html.replace('"author": {"@type": "Person", "name": "Jane Doe"}, ', "")
    record = extract_article(html, "https://x.example/news/1.html")
    assert record["authors"] == [name]
    assert record["provenance"]["authors"] == "dom"


def test_month_names_are_one_table():
    numbers = vocab.month_numbers()
    assert numbers["märz"] == numbers["march"] == numbers["marzo"] == 3
    assert numbers["dez"] == numbers["desember"] == 12


# A Caseless pattern matches where the same pattern compiled with re.IGNORECASE does,
# on ASCII text (lowered and matched plainly) and on any other text.
CASELESS_TEXTS = ["Byline", "BY-LINE author", "post-AUTHOR", "Verfasser", "VERFASSER Straße", "ſtory",
                  "Kelvin \u212a", "İstanbul writer", "nothing here", "", "Écrit par", "AUTEUR: Zoë"]


@pytest.mark.parametrize("text", CASELESS_TEXTS)
@pytest.mark.parametrize("pattern", [r"byline|by-line|author|verfasser|auteur", r"^\w+\s*[:\-]?\s+\S", r"k\b", r"écrit"])
def test_a_caseless_pattern_matches_where_ignorecase_does(pattern, text):
    caseless, ignorecase = vocab.Caseless(pattern), re.compile(pattern, re.I)
    for method in ("search", "match", "fullmatch"):
        ours, theirs = getattr(caseless, method)(text), getattr(ignorecase, method)(text)
        assert (ours and ours.span()) == (theirs and theirs.span())


def test_a_caseless_pattern_is_written_in_lower_case():
    with pytest.raises(ValueError):
        vocab.Caseless(r"By\s+[A-Z]")
    assert vocab.Caseless(r"by\s+\S").search("BY  X")
