"""Invisible characters leave every text field; the scripts that need joiners keep them."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.extract import extract_article
from archiver.normalize.text import fold_spaces, visible_text
from archiver.record import finalize, new_record


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Ver\u00adsiche\u00adrung", "Versicherung", id="soft-hyphen"),
        pytest.param("zero\u200bwidth", "zerowidth", id="zero-width-space"),
        pytest.param("word\u2060joiner", "wordjoiner", id="word-joiner"),
        pytest.param("tofu, diced\u2063", "tofu, diced", id="invisible-separator"),
        pytest.param("\ufeffHeadline", "Headline", id="byte-order-mark"),
        pytest.param("Auf\u200clage", "Auflage", id="non-joiner-in-latin"),
        pytest.param("bell\x07 and\x00 nul", "bell and nul", id="c0-controls"),
        pytest.param("it\x92s the \x93best\x94", "it’s the “best”", id="c1-as-windows-1252"),
        pytest.param("x\x81y", "xy", id="c1-undefined"),
        pytest.param("Cafe\u0301", "Café", id="nfc"),
        pytest.param("line\nbreak\tand tab", "line\nbreak\tand tab", id="whitespace-kept"),
        pytest.param("می\u200cخواهم", "می\u200cخواهم", id="persian-non-joiner-kept"),
        pytest.param("क्\u200dष", "क्\u200dष", id="devanagari-joiner-kept"),
        pytest.param("😵\u200d💫", "😵\u200d💫", id="emoji-sequence-kept"),
        pytest.param("", "", id="empty"),
        pytest.param(None, None, id="none"),
    ],
)
def test_visible_text(text, expected):
    assert visible_text(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_visible_text_is_idempotent(text):
    once = visible_text(text)
    assert visible_text(once) == once


def test_finalize_cleans_every_text_field_but_urls():
    record = new_record()
    record.update(url="https://example.com/a\u00adb", title="Ti\u00adtle", description="Sum\x85mary",
                  body="Para\u200bgraph one.", tags=["Po\u00adlitik", "\u200b"], authors=["Jane\u2060 Doe"],
                  image="https://example.com/i.jpg")
    finalize(record)
    assert (record["title"], record["description"], record["body"]) == ("Title", "Sum…mary", "Paragraph one.")
    assert record["tags"] == ["Politik"] and record["authors"] == ["Jane Doe"]
    assert record["image"] == "https://example.com/i.jpg"


def test_extracted_record_has_no_soft_hyphens():
    words = "Die Versiche\u00adrungs\u00adgesell\u00adschaft erhöht die Bei\u00adträge für alle Kunden im nächsten Jahr"
    paras = "".join(f"<p>{words}, sagte der Sprecher am Montag in Berlin ({i}).</p>" for i in range(6))
    html = (f"<html><head><title>Bei\u00adträge steigen</title><meta name='description' content='Bei&shy;träge'>"
            f"</head><body><article><h1>Bei&shy;träge steigen</h1>{paras}</article></body></html>")
    record = extract_article(html.encode(), "https://zeitung.example/wirtschaft/beitraege-steigen")
    assert record["title"] == "Beiträge steigen" and record["description"] == "Beiträge"
    assert "Versicherungsgesellschaft" in record["body"] and "\u00ad" not in record["body"]


@pytest.mark.parametrize("text", ["", "   ", " a  b ", "a\tb\nc\r\nd", "x\u00a0\u2028y\u3000z", "\x1c a \x1f", "\u200bzero\u200b width",
                                  "\u0085next line\u0085", "tab\t\t\tand\x0bvertical"])
def test_fold_spaces_folds_what_a_whitespace_regex_folds(text):
    assert fold_spaces(text) == re.sub(r"\s+", " ", text).strip()


@settings(max_examples=300)
@given(st.text())
def test_fold_spaces_folds_any_text_as_the_regex_does(text):
    assert fold_spaces(text) == re.sub(r"\s+", " ", text).strip()
