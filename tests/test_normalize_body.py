import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.normalize.body import clean_body

REAL = "The council voted on Tuesday to rebuild the old pier after a long debate."


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "ADVERTISEMENT",
        "Anzeige",
        "Werbung",
        "Publicidad",
        "Share this article",
        "Share on Facebook",
        "Read more: Council elects new mayor",
        "Related: Storm damage bill reaches new high",
        "Lesen Sie auch: Die Bahn streikt wieder",
        "Mehr zum Thema",
        "Leave a Reply",
        "Your email address will not be published. Required fields are marked *",
        "Back to top",
        "Back to top button",
        "12 Comments",
        "Photo: Sam Lee/Reuters",
        "(Image credit: Getty Images)",
        "Foto: dpa",
        "Sign up for our newsletter",
        "Get the Coastal Courier Newsletter",
        "Follow the Courier on Facebook to make sure you never miss a story.",
        "MORE: Storm damage bill reaches new high",
        "Les også: Dette skjedde i går",
        "Recommended Videos",
        "Instagram content",
        "This content can also be viewed on the site it originates from.",
        "Reporting by Jane Doe; Editing by John Roe",
        "The Associated Press contributed to this report.",
        "Mit Agenturmaterial.",
        "Contributing: Associated Press; Jane Doe, USA TODAY",
        "By Jane Doe and John Roe",
        "Von Max Mustermann",
        "Posted by Walter Brennan on 04/18/2019",
        "Von Max Mustermann, 3. Mai 2024",
        "Updated: March 5, 2024 10:31 am ET",
        "Stand: 22.04.2024, 06:00 Uhr",
        "The old pier at dawn on Monday. (Photo: Sam Lee/Coastal Courier)",
        "More from The Coastal Courier",
        "Join the readers of the Courier: we'll send the week's harbour news straight to your inbox.",
        "harbourfan said:It's a fine pier but the cost is too high.",
        "I think the old pier was better and cheaper to keep. Reply",
        "Don't Miss:",
        "02:57 Min.. Verfügbar bis 06.05.2024.",
        "Storm damage bill reaches new high Storm damage bill reaches new high",
        "Deine Privatsphäre-Einstellungen verhindern das Laden und Anzeigen aller externen Inhalte.",
        "Harbours are busy again pic.twitter.com/AbCdEf123— Chief Brooks (@ChiefBrooks) December 22, 2023",
    ],
)
def test_boilerplate_line_dropped(line):
    assert clean_body(f"{REAL}\n\n{line}\n\nA second real paragraph follows here.") == (
        f"{REAL}\n\nA second real paragraph follows here."
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "Advertisement revenue fell by a third last year, the company said.",
        "Share prices rose sharply on Monday after the announcement.",
        "Read more books, the minister told pupils at the school.",
        "Related companies were also fined by the regulator.",
        "Die Anzeige wurde am Montag bei der Polizei erstattet.",
        "Werbung im Fernsehen ist für viele Firmen zu teuer geworden.",
        "Photo: a word that starts a sentence about photos in a long explanation of the city's archive project, which has now scanned more than a million old negatives.",
        "Back to top form, the striker scored twice in the second half.",
        "Comments from the minister drew criticism from the opposition.",
        "By Tuesday, the council had agreed to pay for the repairs.",
        "Posted by Walter Brennan on the club's notice board.",
        "More than 200 people attended the meeting on Monday evening.",
        "Watch the video below to see the storm arrive over the harbour.",
        "Jane Doe is a fisherwoman who has worked in the harbour for 30 years.",
        "March 2024",
        "The 12:30 ferry was cancelled because of the storm.",
        "Police said: the suspect fled on foot towards the harbour.",
        "Scammers send fake invoices to your inbox, the police warned on Monday.",
        "We accept that the external content of the report will load the budget further.",
    ],
)
def test_real_sentences_kept(sentence):
    assert clean_body(f"{REAL}\n\n{sentence}") == f"{REAL}\n\n{sentence}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Pier to be rebuilt\n\n" + REAL, REAL, id="leading-title"),
        pytest.param("PIER TO BE REBUILT!\n\n" + REAL, REAL, id="leading-title-case-punct"),
        pytest.param(REAL + "\n\nPier to be rebuilt", REAL + "\n\nPier to be rebuilt", id="title-later-kept"),
        pytest.param(f"{REAL}\n\n{REAL}", REAL, id="duplicate"),
        pytest.param(
            "Kill switch\n\nThis one cuts the line.\n\nKill switch\n\nThat one has none.",
            "Kill switch\n\nThis one cuts the line.\n\nKill switch\n\nThat one has none.",
            id="short-heading-repeats",
        ),
        pytest.param("  A   folded\tline \n with break  ", "A folded line with break", id="whitespace"),
        pytest.param("Intro\n\n\n\n• first item\n\n• second item", "Intro\n\n• first item\n\n• second item", id="list-items"),
        pytest.param("", "", id="empty"),
        pytest.param(None, "", id="none"),
    ],
)
def test_clean_body_table(text, expected):
    assert clean_body(text, title="Pier to be rebuilt") == expected


@pytest.mark.parametrize(
    "tail",
    [
        "Jane Doe is a senior reporter for the Coastal Courier. Email: jdoe@courier.example.",
        "Jane Doe writes about local politics and the harbour.",
        "Travis Roe can be reached at travis.roe@courier.example.",
    ],
)
def test_author_note_dropped_only_at_the_end(tail):
    assert clean_body(f"{REAL}\n\n{tail}") == REAL
    assert clean_body(f"{tail}\n\n{REAL}") == f"{tail}\n\n{REAL}"


def test_subheading_kept_as_own_paragraph():
    text = f"{REAL}\n\nA long wait for funds\n\nThe project will be paid for by a grant."
    assert clean_body(text).split("\n\n")[1] == "A long wait for funds"


@settings(max_examples=300, deadline=None)
@given(st.text(), st.one_of(st.none(), st.text(max_size=40)))
def test_clean_body_never_raises_and_is_idempotent(text, title):
    once = clean_body(text, title=title)
    assert isinstance(once, str)
    assert clean_body(once, title=title) == once


@pytest.mark.parametrize(
    "notice",
    [
        "This website uses cookies to enhance your experience. By continuing you consent to their use.",
        "Wir verwenden Cookies. Durch Bestätigen des Buttons „Alle zulassen“ stimmst Du der Verwendung zu.",
        "Ce site utilise des cookies pour mesurer son audience.",
        "This copy is for your personal, non-commercial use only. Distribution and use of this material are "
        "governed by our Subscriber Agreement and by copyright law. For non-personal use or to order multiple "
        "copies, please contact the reprints desk of the Coastal Courier at any time of the day.",
    ],
)
def test_cookie_banners_and_reprint_notices_dropped(notice):
    assert clean_body(f"{REAL}\n\n{notice}") == REAL


@pytest.mark.parametrize(
    "sentence",
    [
        "Why did the cookie go to the hospital? Because it felt crummy.",
        "Roll the dough into balls and place them on a cookie sheet lined with paper.",
        "The bakery on the harbour front sold four thousand cookies at the festival, its owner said.",
    ],
)
def test_sentences_about_cookies_kept(sentence):
    assert clean_body(f"{REAL}\n\n{sentence}") == f"{REAL}\n\n{sentence}"
