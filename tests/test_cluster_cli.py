"""Syndication clusters end to end: three fixture sites carry one wire story in three
layouts (one of them edited), beside another story on the same subject and an unrelated
one, crawled by the installed CLI; then `archiver cluster`, `--dedupe` on list, search
and export, and "also published at" in the web UI."""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timezone

import pytest

from bench.clusters import themed_page
from tests.conftest import FAST, archiver_cmd
from tests.support.browser import running_browse
from tests.support.pages import html_page
from tests.support.procs import clean_env
from tests.support.server import FixtureSite
from tests.support.stories import REEF, REEF_EDITED, REEF_OTHER, UNRELATED

TITLE = "U.S. offers help to monitor Pacific reefs"


def _page(theme, paragraphs, published, site_name, byline, title=TITLE):
    when = datetime.fromisoformat(published).astimezone(timezone.utc) if published else None
    return html_page(themed_page(theme, title, paragraphs, when, "", site_name, byline, ["Other news today"]))


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    import subprocess

    folder = tmp_path_factory.mktemp("clusters")
    agency = {"/news/reef.html": _page(0, REEF, "2021-05-07T14:00:00+00:00", "Voice of America", "VOA staff"),
              "/news/buses.html": _page(0, UNRELATED, "2021-05-07T08:00:00+00:00", "Voice of America", "VOA staff",
                                        title="Night buses for the northern suburbs")}
    paper = {"/2021/05/07/reef/": _page(1, REEF, "2021-05-07T18:00:00+00:00", "Harbor Daily",
                                        "Voice of America News"),
             "/nurseries.html": _page(1, REEF_OTHER, "2021-05-06T09:00:00+00:00", "Harbor Daily", "Staff",
                                      title="Palau grows heat-tolerant corals")}
    regional = {"/reef-edited.html": _page(2, REEF_EDITED, "2021-05-08T09:00:00+00:00", "Island Times", "Staff")}
    with FixtureSite(agency, "127.0.0.2") as a, FixtureSite(paper, "127.0.0.3") as b, \
            FixtureSite(regional, "127.0.0.4") as c:
        urls = {"wire": a.url + "/news/reef.html", "buses": a.url + "/news/buses.html",
                "copy": b.url + "/2021/05/07/reef/", "other": b.url + "/nurseries.html",
                "edited": c.url + "/reef-edited.html"}
        db = folder / "news.db"
        result = subprocess.run([*archiver_cmd(), "crawl", *urls.values(), "--db", str(db), *FAST],
                                cwd=folder, env=clean_env(), capture_output=True, text=True, timeout=180)
        assert "5 archived" in result.stderr, result.stderr
    return {"db": db, "folder": folder, "urls": urls}


def cli(archive, *args):
    import subprocess

    return subprocess.run([*archiver_cmd(), *args, "--db", str(archive["db"])], cwd=archive["folder"],
                          env=clean_env(), capture_output=True, text=True, timeout=120)


def ids(archive) -> dict[str, int]:
    rows = json.loads(cli(archive, "list", "--json").stdout)
    by_url = {row["url"]: row["id"] for row in rows}
    return {name: by_url[url] for name, url in archive["urls"].items()}


def test_cluster_lists_the_copies_with_the_original_first(archive):
    result = cli(archive, "cluster", archive["urls"]["edited"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"3 copies of {TITLE!r}"
    assert lines[1].startswith(f"Original: [{ids(archive)['wire']}] 127.0.0.2: published first "
                               "(2021-05-07T14:00:00+00:00); on the site of Voice of America")
    assert "2 of 3 copies credit Voice of America" in lines[1]  # the edited lede dropped the credit
    table = lines[3:]
    assert table[0].split() == ["id", "published_at", "site", "similarity", "contained", "credit", "title"]
    assert [row.split()[2] for row in table[2:]] == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]


def test_cluster_as_json_and_for_an_article_alone(archive):
    rows = json.loads(cli(archive, "cluster", str(ids(archive)["copy"]), "--json").stdout)
    assert [r["is_original"] for r in rows] == [True, False, False]
    assert rows[0]["similarity"] == rows[1]["similarity"] == 1.0 and 0.3 < rows[2]["similarity"] < 1.0
    assert rows[0]["evidence"][0].startswith("published first") and rows[1]["evidence"] is None
    alone = cli(archive, "cluster", archive["urls"]["other"])
    assert alone.returncode == 0 and alone.stdout == ""
    assert "has no copies in the archive" in alone.stderr
    missing = cli(archive, "cluster", "999")
    assert missing.returncode == 1 and "Error: no article '999'" in missing.stderr


def test_list_search_and_export_dedupe(archive):
    known = ids(archive)
    listed = json.loads(cli(archive, "list", "--dedupe", "--json").stdout)
    assert sorted(r["id"] for r in listed) == sorted([known["wire"], known["buses"], known["other"]])
    # The original is filtered out: the site's own copy stands for the story.
    on_paper = json.loads(cli(archive, "list", "--dedupe", "--site", "127.0.0.3", "--json").stdout)
    assert sorted(r["id"] for r in on_paper) == sorted([known["copy"], known["other"]])
    hits = json.loads(cli(archive, "search", "rangers", "--dedupe", "--json").stdout)
    assert [h["id"] for h in hits] == [known["wire"]]
    assert len(json.loads(cli(archive, "search", "rangers", "--json").stdout)) == 3
    # A word only the edited copy has: that copy is kept for its cluster.
    edited = json.loads(cli(archive, "search", "newspaper", "--dedupe", "--json").stdout)
    assert [h["id"] for h in edited] == [known["edited"]]
    exported = [json.loads(line) for line in cli(archive, "export", "-o", "-", "--dedupe", "-q").stdout.splitlines()]
    assert len(exported) == 3
    every = [json.loads(line) for line in cli(archive, "export", "-o", "-", "-q").stdout.splitlines()]
    assert {r["id"]: r["cluster_id"] for r in every} == {
        known["wire"]: known["wire"], known["copy"]: known["wire"], known["edited"]: known["wire"],
        known["buses"]: known["buses"], known["other"]: known["other"]}


def test_the_article_page_shows_also_published_at(archive):
    known = ids(archive)
    with running_browse(archive["db"]) as base:
        with urllib.request.urlopen(f"{base}/news/articles/{known['copy']}", timeout=30) as resp:
            page = resp.read().decode("utf-8")
        with urllib.request.urlopen(f"{base}/news/articles/{known['other']}", timeout=30) as resp:
            alone = resp.read().decode("utf-8")
    section = page.split('<section class="copies">')[1].split("</section>")[0]
    assert "Also published at" in section
    assert f'href="/news/articles/{known["wire"]}"' in section and "original" in section
    assert f'href="/news/articles/{known["edited"]}"' in section
    assert f'href="/news/articles/{known["copy"]}"' not in section  # not itself
    assert '<section class="copies">' not in alone
