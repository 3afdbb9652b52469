from pathlib import Path

import lxml.etree
import pytest

from archiver.extract import maintext
from archiver.extract.maintext import PRECISE, _trafilatura_paragraphs, extract_body, structured_paragraphs
from archiver.extract.page import Page
from archiver.extract.trafilatura_passes import TrafilaturaPasses
from archiver.normalize.body import clean_body

FIXTURES = Path(__file__).parent / "fixtures_body"
URL = "https://www.coastalcourier.example/2024/03/05/harbour-town-votes-to-rebuild-its-old-pier/"


def _page(name="wordpress_story.html", url=URL):
    return Page.parse((FIXTURES / name).read_text(encoding="utf-8"), url)


@pytest.fixture
def story():
    body, label = extract_body(_page())
    return clean_body(body, title="Harbour town votes to rebuild its old pier"), label


@pytest.mark.parametrize(
    "expected",
    [
        "The town council of Saltmere voted on Tuesday",
        "Residents packed the hall for the vote",
        "A long wait for funds",
        "approved by the region in January",
        "Not everyone was pleased.",
    ],
)
def test_body_keeps_article_paragraphs(story, expected):
    assert expected in story[0]


@pytest.mark.parametrize(
    "chrome",
    [
        "Top Stories",
        "Related Articles",
        "Leave a Reply",
        "Your email address will not be published",
        "Back to top",
        "Advertisement",
        "Photo: Sam Lee",
        "Share on Facebook",
        "Fishing season opens early",
    ],
)
def test_body_drops_page_chrome(story, chrome):
    assert chrome not in story[0]


def test_body_is_paragraphs_separated_by_one_blank_line(story):
    body, label = story
    assert label == "dom"
    paras = body.split("\n\n")
    assert all(p and p == p.strip() and "\n" not in p for p in paras)
    assert paras[0].startswith("The town council of Saltmere")
    assert "A long wait for funds" in paras


def test_extract_body_does_not_mutate_tree():
    page = _page()
    before = lxml.etree.tostring(page.tree)
    extract_body(page, structured_body="x " * 50)
    assert lxml.etree.tostring(page.tree) == before


def test_structured_body_used_when_it_matches_page():
    page = _page()
    paragraphs = [p.text_content() for p in page.tree.iterfind(".//div[@class='entry-content']/p")]
    structured = "\n".join(p for p in paragraphs if p != "Advertisement")
    body, label = extract_body(page, structured_body=structured)
    assert label == "json-ld"
    assert body.split("\n\n")[0].startswith("The town council of Saltmere")


@pytest.mark.parametrize(
    "structured",
    [
        pytest.param("The town council of Saltmere voted on Tuesday to rebuild the pier.", id="teaser"),
        pytest.param(" ".join(["Entirely different words about a football match and its goals."] * 20), id="other-text"),
        pytest.param("", id="empty"),
    ],
)
def test_structured_body_rejected_when_inconsistent(structured):
    body, label = extract_body(_page(), structured_body=structured)
    assert label == "dom"
    assert "Residents packed the hall" in body


@pytest.mark.parametrize("html", ["<html><body></body></html>", "<html><body><p>Hi</p></body></html>"])
def test_empty_or_tiny_page_gives_text_not_error(html):
    body, label = extract_body(Page.parse(html, "https://example.org/"))
    assert isinstance(body, str)
    assert label in {"dom", "heuristic", "json-ld"}


LEAD_PAGE = """<html><head><meta name="description" content="Saltmere will rebuild its pier, the council decided after a long night."></head>
<body><header><h1>Pier to be rebuilt</h1><p class="standfirst">Saltmere will rebuild its pier, the council decided after a long night.</p></header>
<div class="story">{paras}</div></body></html>"""


@pytest.mark.parametrize(
    ("description_shown", "first"),
    [(True, "Saltmere will rebuild its pier"), (False, "Paragraph number 0")],
)
def test_standfirst_shown_on_page_leads_the_body(description_shown, first):
    paras = "".join(f"<p>Paragraph number {i} of the story says something long enough to be kept as text.</p>" for i in range(8))
    html = LEAD_PAGE.format(paras=paras)
    if not description_shown:
        html = html.replace('<p class="standfirst">Saltmere will rebuild its pier, the council decided after a long night.</p>', "")
    body, _ = extract_body(Page.parse(html, "https://courier.example/pier"))
    assert body.startswith(first)
    assert body.count("Saltmere will rebuild") <= 1


@pytest.mark.parametrize(
    ("structured", "expected"),
    [
        pytest.param("First line.\nSecond line.", ["First line.", "Second line."], id="plain-lines"),
        pytest.param("<p>One <b>bold</b> word.</p><p>Two.</p>", ["One bold word.", "Two."], id="html"),
        pytest.param(
            "<p>Text.</p><figure><img src='a.jpg'><figcaption>Caption</figcaption></figure><h4>Sub</h4>",
            ["Text.", "Sub"],
            id="html-figure-dropped",
        ),
        pytest.param("&amp;Ccedil;orum&#8217;s fire", ["Çorum’s fire"], id="double-escaped"),
        pytest.param(
            'Before.\n[ami-related id="1" url="https://x.example/a" title="T"]\nAfter.', ["Before.", "After."], id="shortcode"
        ),
        pytest.param("He said [sic] it.", ["He said [sic] it."], id="brackets-kept"),
    ],
)
def test_structured_paragraphs(structured, expected):
    assert structured_paragraphs(structured) == expected


def test_structured_body_vouches_for_the_story_not_the_teaser():
    words = "the harbour council voted to rebuild the pier after storms wrecked it".split()
    story = [" ".join(words[i:] + words[:i]).capitalize() + "." for i in range(len(words))]
    html = (
        "<html><body><div class='teaser'><p>Subscribe to read the whole story about the pier.</p></div>"
        f"<script>var t = 1;</script><div hidden>{' '.join(story)}</div></body></html>"
    )
    body, label = extract_body(Page.parse(html, "https://courier.example/pier"), structured_body="\n".join(story))
    assert label == "json-ld"
    assert "Subscribe" not in body
    assert story[0] in body and story[-1] in body


def test_binary_data_is_not_a_body():
    noise = bytes(range(256)).decode("latin-1") * 40
    html = f"<html><body><p>{noise}</p><p>{noise[::-1]}</p></body></html>"
    assert extract_body(Page.parse(html, "https://example.org/blob")) == ("", "heuristic")


TABLE_PAGE = """<html><body><table><tr>
<td class="menu"><a href="/">Home</a><br><a href="/news">News</a><br><a href="/club">Join the club</a></td>
<td><b>Boathouse roof repaired</b><br>
{paras}
</td></tr></table>
<p>This page is kept by volunteers of the club and was last changed in the spring.</p>
</body></html>"""


def test_article_laid_out_in_a_table_cell_keeps_its_paragraphs():
    paras = [f"Paragraph {i}: the roof of the boathouse was repaired by members over three weekends." for i in range(6)]
    html = TABLE_PAGE.format(paras="".join(f"<p><font size=2>{p}</font></p>" for p in paras))
    body, _ = extract_body(Page.parse(html, "http://club.example/news/roof.html"))
    assert body.split("\n\n")[-6:] == paras
    assert "Join the club" not in body


STORY = "".join(
    f"<p>Paragraph {i}: the spring regatta on the upper lake drew more crews than any year since the club began.</p>"
    for i in range(5)
)


def _article(inner: str, description: str = "") -> Page:
    meta = f'<meta name="description" content="{description}">' if description else ""
    html = (f"<html><head><title>Regatta results</title>{meta}</head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>Regatta results</h1>{inner}</article><footer>Club footer</footer></body></html>")
    return Page.parse(html, "https://club.example/news/regatta-results")


def test_data_table_in_the_story_is_kept_one_row_per_paragraph():
    table = ("<table><tr><th>Crew</th><th>Time</th></tr><tr><td>Riverside A</td><td>6:32</td></tr>"
             "<tr><td>Lakeside <b>B</b></td><td><p>6:40</p></td></tr></table>")
    body, _ = extract_body(_article(STORY[:300] + table + STORY[300:]))
    paras = body.split("\n\n")
    assert ["Crew | Time", "Riverside A | 6:32", "Lakeside B | 6:40"] == [p for p in paras if "|" in p]
    assert paras.index("Crew | Time") > 0 and paras[-1].startswith("Paragraph 4")


def test_line_breaks_separate_words():
    para = "<p>Bristow, VA<br>June 26 -- PPL Center hosted the final of the long season with many crews.</p>"
    body, _ = extract_body(_article(para + STORY))
    assert "Bristow, VA June 26 -- PPL Center" in body


def test_standfirst_cut_short_in_the_description_leads_the_body_whole():
    lead = ("For the first time in its history the club's crews won every race of the spring regatta, "
            "from the junior sculls to the masters' eights, on a cold and windy Saturday.")
    page = _article(f"<div class='teaser'>{lead}</div>{STORY}", description=lead[:60] + " ...")
    body, _ = extract_body(page)
    assert body.split("\n\n")[0] == lead


def test_a_stub_kept_by_the_precision_passes_gives_way_to_the_article():
    # trafilatura's precision passes keep only the teaser cards' dates and the cookie
    # notice of this layout (the text runs in a <font> beside a picture box); its balanced
    # pass finds the article.
    page = Page.parse((Path(__file__).parent / "pages" / "text-beside-photo-box" / "page.html").read_bytes(),
                      "https://radio.example/news/news_view.htm?seq=18159")
    stub = _trafilatura_paragraphs(TrafilaturaPasses(page.tree, page.url), **PRECISE)
    assert stub and not any("ferry" in p for p in stub)
    body, label = extract_body(page)
    assert label == "dom"
    assert "The island ferry sailed again" in body and "to the west coast by Sunday evening." in body


ARTICLE = [f"Sentence {i} of the article tells what the council decided about the harbour and the old pier." for i in range(12)]


@pytest.mark.parametrize(
    ("stub", "wider", "extends"),
    [
        pytest.param(["By Jane Doe"], ["By Jane Doe", *ARTICLE], True, id="byline-alone"),
        pytest.param(["Support our journalism: donate today and keep local news free."],
                     ["Support our journalism: donate today and keep local news free.", *ARTICLE], True,
                     id="donation-box"),
        pytest.param(ARTICLE[:2], [*ARTICLE[:2], "Comments (2)"], False, id="short-article-nothing-more"),
        pytest.param(["A short note on the opening hours of the harbour office this week and next."],
                     ARTICLE, False, id="wider-reading-elsewhere"),
    ],
)
def test_a_stub_is_extended_only_by_a_reading_around_it(stub, wider, extends):
    assert maintext._extends(Page.parse(b"<p>x</p>", None), stub, wider) is extends


def test_a_long_reading_is_never_a_stub():
    assert maintext._words_if_short(ARTICLE * 3) >= maintext.STUB_WORDS


def test_loose_text_between_the_blocks_is_kept_when_it_is_prose():
    # trafilatura's output: text between its blocks is a credit line or the story going on
    body = lxml.etree.fromstring(
        "<body><p>The first paragraph of the story.</p>Text: dan; Photo: Shutterstock; first published 4.4.18"
        "<p>The second paragraph of the story.</p>The story goes on here in a sentence that has no paragraph"
        " of its own, as some pages print it.</body>"
    )
    assert maintext._blocks_text(body) == [
        "The first paragraph of the story.",
        "The second paragraph of the story.",
        "The story goes on here in a sentence that has no paragraph of its own, as some pages print it.",
    ]


def test_text_after_an_html_comment_inside_a_paragraph_is_kept():
    # server-rendered pages put empty comments between text nodes ("<!-- -->"); text after
    # them, and in the link that follows, is the paragraph's own
    para = ("<p>The committee has three members, including <!-- --><a href='/chair'>the chair of the club"
            "<!-- --></a>, whose term began in October.<!-- --></p>")
    body, _ = extract_body(_article(STORY + para + STORY))
    assert "The committee has three members, including the chair of the club, whose term began in October." in body
