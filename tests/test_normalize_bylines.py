"""Byline and author rules, one table row per rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.normalize.bylines import is_name, normalize_authors, normalize_byline, split_authors, split_credits


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("By Jane Doe", "Jane Doe"),
        ("BY JANE DOE", "JANE DOE"),
        ("Written by Jane Doe", "Jane Doe"),
        ("Von Anna Müller", "Anna Müller"),
        ("Par Jean-Luc Dupont", "Jean-Luc Dupont"),
        ("By Jane Doe | Updated 8:15 AM EST, Wed March 6, 2024", "Jane Doe"),
        ("Jane Doe March 6, 2024", "Jane Doe"),
        ("Jane Doe (jane@example.com) @janedoe", "Jane Doe"),
        ("Updated 8:15 AM EST", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_byline(raw, expected):
    assert normalize_byline(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("By Jane Doe and John Smith", ["Jane Doe", "John Smith"]),
        ("Jane Doe, John Smith & Ali Khan", ["Jane Doe", "John Smith", "Ali Khan"]),
        ("Von Anna Müller und Max Mustermann", ["Anna Müller", "Max Mustermann"]),
        ("Birgit Baumann; Anna Giulia Fink", ["Birgit Baumann", "Anna Giulia Fink"]),
        # Roles and job titles credit a function, not a person.
        ("By JANE DOE, Associated Press Writer", ["Jane Doe"]),
        ("Jane Doe, Staff Writer", ["Jane Doe"]),
        ("Mathias Hagen / Journalist", ["Mathias Hagen"]),
        ("Chicago Tribune staff", ["Chicago Tribune"]),
        ("Jane Doe is a reporter for CNN", ["Jane Doe"]),
        ("Jane O’Neil for Dailymail.com", ["Jane O'Neil"]),
        ("Lauren Manaker MS, RD", ["Lauren Manaker"]),
        ("신현주 기자", ["신현주"]),
        # Initials keep their period; punctuation debris goes.
        ("Nelson C.J.", ["Nelson C.J."]),
        ("}Aleah C. Bowie", ["Aleah C. Bowie"]),
        # Organizations and agencies are credits too.
        ("Voice of America News", ["Voice of America News"]),
        ("Associated Press", ["Associated Press"]),
        ("Von dpa 30.04.2024, 18:58", ["dpa"]),
        # Not names at all.
        ("3 Minute Read", []),
        ("Published", []),
        ("Photo by GHULAM RASOOL", []),
        ("(Image credit: EA)", []),
        ("Share this article on social media now please", []),
        # Byline junk: inline CSS, photo credits, labels, arrows and slashes, UI text.
        ("By .css-1fvj8jv{color:#ba0600;}Frank S. Zhou", ["Frank S. Zhou"]),
        ("Alex Brandon/AP", []),
        ("Mike Blake/Reuters files", []),
        ("Interview: Jens Bergmann Foto: Michael Hudler", ["Jens Bergmann"]),
        ("Interview: Julia Lauter", ["Julia Lauter"]),
        ("Autor/in: Jane Doe", ["Jane Doe"]),
        ("Text und Interview: Harald Willenbrock", ["Harald Willenbrock"]),
        ("Erstellt von Andri Bryner", ["Andri Bryner"]),
        ("Cory Doctorow /", ["Cory Doctorow"]),
        ("Michael Veeser-Dombrowski →", ["Michael Veeser-Dombrowski"]),
        ("Alex Bozarjian Thursday", ["Alex Bozarjian"]),
        ("Disko von Ernst Lohoff", ["Ernst Lohoff"]),
        ("Jane Doe le 3 mai 2024", ["Jane Doe"]),
        ("Publiziert am", []),
        ("Artikel von", []),
        ("More posts", []),
        ("Hinterlasse einen Kommentar", []),
        ("No author", []),
        # A sentence that starts like a byline ("Von der ...") credits nobody.
        ("Von der patriarchalen Weiblichkeit zur neuen Frau", []),
        ("Von Atemschutzmaske über Exit-Strategie bis Zoonose", []),
        # Names that look like cut points are whole names.
        ("Loïc Le Clerc", ["Loïc Le Clerc"]),
        ("Ursula von der Leyen", ["Ursula von der Leyen"]),
        ("by the Associated Press", ["the Associated Press"]),
    ],
)
def test_split_authors(raw, expected):
    assert split_authors(raw) == expected


@pytest.mark.parametrize(
    "candidates, sites, expected",
    [
        # Case variants fold into the carefully typed one.
        (["MARIA GONZALEZ", "Maria Gonzalez"], (), ["Maria Gonzalez"]),
        (["MARIA GONZALEZ"], (), ["Maria Gonzalez"]),
        # Apostrophe variants are one person.
        (["Jane O’Neil", "Jane O'Neil"], (), ["Jane O'Neil"]),
        # The site's own name and other outlets go when a person is credited...
        (["Jane Doe", "Harbor Daily"], ("harbordaily.example",), ["Jane Doe"]),
        (["Jane Doe, Voice of America News"], (), ["Jane Doe"]),
        # ...news agencies stay beside the reporter...
        (["Adam Vidler", "AP"], (), ["Adam Vidler", "AP"]),
        (["Paula Steiger, SDA"], (), ["Paula Steiger", "SDA"]),
        # ...and an organization alone is kept: nobody else is credited.
        (["Voice of America News"], (), ["Voice of America News"]),
        (["USA TODAY"], ("usatoday.com",), ["Usa Today"]),
        # Organisation names are never cut by role or outlet words.
        (["By The Canadian Press"], (), ["The Canadian Press"]),
        (["Field Level Media"], (), ["Field Level Media"]),
        (["Fouzia Van Der Fort"], (), ["Fouzia Van Der Fort"]),
        (["By Jane Doe, The Canadian Press"], (), ["Jane Doe", "The Canadian Press"]),
        (["Jane Doe and Field Level Media"], (), ["Jane Doe"]),
        (["Kayla Jimenez USA TODAY"], ("usatoday.com",), ["Kayla Jimenez"]),
        # Duplicates collapse.
        (["Jane Doe", "jane doe", "Jane  Doe"], (), ["Jane Doe"]),
        ([], (), []),
        ("By Jane Doe", (), ["Jane Doe"]),
    ],
)
def test_normalize_authors(candidates, sites, expected):
    assert normalize_authors(candidates, site_names=sites) == expected


@pytest.mark.parametrize(
    "names, sites, people, organisations",
    [
        (["Jane Doe", "dpa"], (), ["Jane Doe"], ["dpa"]),
        (["The Associated Press"], (), [], ["The Associated Press"]),
        (["Voice of America News"], (), [], ["Voice of America News"]),
        (["The Independent"], (), [], ["The Independent"]),
        (["BBC News"], (), [], ["BBC News"]),
        (["TMZ Staff"], (), [], ["TMZ Staff"]),
        (["Der Postillon"], (), [], ["Der Postillon"]),
        (["kicker"], ("kicker.de",), [], ["kicker"]),
        # A first name or a handle alone is still a person's credit.
        (["Matthias"], (), ["Matthias"], []),
    ],
)
def test_split_credits(names, sites, people, organisations):
    assert split_credits(names, sites) == (people, organisations)


@pytest.mark.parametrize(
    "text, expected",
    [("Jane Doe", True), ("dpa", True), ("Ludwig van Beethoven", True), ("minute read", False),
     ("this is a sentence about the news", False), ("Posted 3 hours ago", False), ("", False)],
)
def test_is_name(text, expected):
    assert is_name(text) is expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_byline_properties(text):
    once = normalize_byline(text)
    assert normalize_byline(once) == once
    names = split_authors(text)
    assert all(isinstance(n, str) and n for n in names)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=5))
def test_normalize_authors_properties(candidates):
    names = normalize_authors(candidates)
    assert normalize_authors(names) == names
