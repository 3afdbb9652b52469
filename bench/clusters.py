"""Syndication clusters: precision and recall on a labelled set built from the dev pages,
and the cost of filing one article in an archive of 1,000 and of 100,000 articles.

The labelled set is made at run time from ../shared/benchdata (never copied into the
repository). Each story is a real dev page (naeb-dev, fundus) plus copies of its text
re-themed on fictional sites (three page layouts: JSON-LD with the text, plain DOM, a
table layout with ads between paragraphs), some of them edited (trimmed for length, a
new lede and an inserted paragraph, retouched sentences). Stories that must stay apart:
the stories of the set themselves, among them the topically closest pairs of the dev
sets (same subject, other text), and follow-ups: another story's text closing with two
background paragraphs of this one, as newsrooms write them. Every page goes through
archiver's extraction and the archive writer into a real SQLite file; then pairs of
pages in one cluster are scored against pairs of one story (pairwise precision and
recall), and each cluster's original against the page published first.

Example: python bench/clusters.py --stories 80 --cost-sizes 1000,100000
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html import escape
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.benchdata import DEFAULT_DATA  # noqa: E402
SETS = ("naeb-dev", "fundus")


@dataclass
class LabelledPage:
    url: str
    html: bytes
    story: str  # pages of one story belong in one cluster
    kind: str  # original, copy, edited-trim, edited-lede, edited-retouch, follow-up
    published: datetime | None  # what the page states (None: no date)


@dataclass
class Story:
    key: str
    title: str
    paragraphs: list[str]
    published: datetime
    html: bytes
    url: str


def load_stories(data: Path, sets=SETS, min_words: int = 150) -> list[Story]:
    stories = []
    for name in sets:
        truth = json.loads((data / name / "ground-truth.json").read_text(encoding="utf-8"))
        for key, entry in sorted(truth.items()):
            body = entry.get("articleBody") or ""
            paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", body) if p.strip()]
            if len(body.split()) < min_words or len(paragraphs) < 4 or not entry.get("url"):
                continue
            page = data / name / "html" / f"{key}.html.gz"
            if not page.is_file():
                continue
            stories.append(Story(f"{name}/{key}", entry.get("title") or "", paragraphs, _day(entry.get("date")),
                                 gzip.decompress(page.read_bytes()), entry["url"]))
    return stories


def _day(text: str | None) -> datetime:
    try:
        return datetime.fromisoformat(str(text)[:10]).replace(hour=9, tzinfo=timezone.utc)
    except ValueError:
        return datetime(2023, 6, 1, 9, tzinfo=timezone.utc)


_WORD = re.compile(r"\w+")


def _shingles(paragraphs: list[str]) -> set[tuple[str, ...]]:
    words = _WORD.findall(" ".join(paragraphs).casefold())
    return set(zip(*(words[i:] for i in range(5))))


def natural_copies(stories: list[Story], threshold: float = 0.5) -> list[tuple[int, int]]:
    """Pairs of dev pages that are themselves copies of one story (their ground-truth
    texts share most 5-word runs): labelled one story, as they are."""
    sets = [_shingles(s.paragraphs) for s in stories]
    return [(i, j) for i, j in combinations(range(len(stories)), 2)
            if sets[i] and sets[j] and len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= threshold]


def topic_pairs(stories: list[Story], n: int) -> list[tuple[int, int]]:
    """The n pairs of different stories closest in subject (tf-idf cosine of their words)."""
    docs = [Counter(w for w in _WORD.findall(" ".join(s.paragraphs).casefold()) if len(w) > 3) for s in stories]
    df = Counter(w for d in docs for w in d)
    vectors = []
    for d in docs:
        v = {w: c * math.log(len(docs) / df[w]) for w, c in d.items() if df[w] > 1}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({w: x / norm for w, x in v.items()})
    scored = []
    for i, j in combinations(range(len(stories)), 2):
        a, b = vectors[i], vectors[j]
        if len(a) > len(b):
            a, b = b, a
        scored.append((sum(x * b.get(w, 0.0) for w, x in a.items()), i, j))
    scored.sort(reverse=True)
    chosen, used = [], set()
    for _, i, j in scored:
        if i not in used and j not in used:
            chosen.append((i, j))
            used |= {i, j}
        if len(chosen) == n:
            break
    return chosen


# --- fixture sites: three layouts a story is re-themed in ---------------------------

SITES = (("dailyharbor.example", "Daily Harbor"), ("metrotimes.example", "Metro Times"),
         ("valleypost.example", "Valley Post"), ("coastgazette.example", "Coast Gazette"))
_FURNITURE = ("Sign up for our morning newsletter", "Most read this week", "Share this story",
              "Advertisement", "Comments are closed")


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "story"


def themed_page(theme: int, title: str, paragraphs: list[str], published: datetime | None, site: str,
                site_name: str, byline: str, headlines: list[str]) -> str:
    """A story on one of the fixture layouts, with the furniture such sites carry."""
    when = published.isoformat() if published else ""
    related = "".join(f'<li><a href="/{_slug(h)}/">{escape(h)}</a></li>' for h in headlines)
    if theme == 0:  # JSON-LD with the text, an article element, a related list
        ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
              "articleBody": "\n\n".join(paragraphs), "author": {"@type": "Person", "name": byline},
              "publisher": {"@type": "Organization", "name": site_name}}
        if published:
            ld["datePublished"] = when
        body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} - {site_name}</title>
<meta property="og:type" content="article"><meta property="og:site_name" content="{site_name}">
<script type="application/ld+json">{json.dumps(ld)}</script></head><body>
<header><a href="/">{site_name}</a><nav><a href="/news/">News</a> <a href="/sport/">Sport</a></nav></header>
<main><article><h1>{escape(title)}</h1><p class="byline">By {escape(byline)}</p>
{f'<time datetime="{when}">{published:%B %d, %Y}</time>' if published else ''}
<div class="entry-content">{body}</div></article>
<aside class="related"><h2>Related stories</h2><ul>{related}</ul></aside></main>
<footer><p>{_FURNITURE[0]}</p><p>&copy; {site_name}</p></footer></body></html>"""
    if theme == 1:  # plain DOM, meta tags only, a share bar and a newsletter box inside the story
        half = len(paragraphs) // 2
        body = ("".join(f"<p>{escape(p)}</p>" for p in paragraphs[:half])
                + f'<div class="newsletter-box"><p>{_FURNITURE[0]}</p></div>'
                + "".join(f"<p>{escape(p)}</p>" for p in paragraphs[half:]))
        meta = f'<meta property="article:published_time" content="{when}">' if published else ""
        return f"""<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)} | {site_name}</title>
<meta property="og:title" content="{escape(title)}"><meta name="author" content="{escape(byline)}">{meta}</head><body>
<div id="top"><a href="/">{site_name}</a> <a href="/local/">Local</a> <a href="/world/">World</a></div>
<div class="story"><h1 class="headline">{escape(title)}</h1><div class="meta">{escape(byline)}</div>
<div class="share">{_FURNITURE[2]}</div><div class="story-body">{body}</div></div>
<div class="sidebar"><h3>{_FURNITURE[1]}</h3><ul>{related}</ul></div>
<div id="comments"><p>{_FURNITURE[4]}</p></div></body></html>"""
    # a table layout with ads between paragraphs and a dateline-like credit line
    cells = "".join(f"<p>{escape(p)}</p>" + (f'<div class="ad">{_FURNITURE[3]}</div>' if i % 3 == 2 else "")
                    for i, p in enumerate(paragraphs))
    date_line = f"Posted {published:%Y-%m-%d %H:%M} UTC" if published else ""
    return f"""<html><head><title>{escape(title)}</title></head><body><table width="100%"><tr>
<td class="nav"><a href="/">{site_name}</a><br><a href="/archive/">Archive</a></td>
<td class="content"><h2>{escape(title)}</h2><p class="posted">{date_line} by {escape(byline)}</p>{cells}</td>
<td class="links"><b>{_FURNITURE[1]}</b><ul>{related}</ul></td></tr></table></body></html>"""


# --- the labelled set -------------------------------------------------------------

def _sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", paragraph) if s]


def _edit(kind: str, story: Story, rnd: random.Random, filler: list[str]) -> list[str]:
    paras = list(story.paragraphs)
    if kind == "edited-trim":  # trimmed for length: the top two thirds
        return paras[:max(3, math.ceil(len(paras) * 2 / 3))]
    if kind == "edited-lede":  # a local lede and an inserted paragraph
        paras[0] = filler[0]
        paras.insert(len(paras) // 2, filler[1])
        return paras
    # retouched: a sentence dropped from every third paragraph, another moved
    for i in range(0, len(paras), 3):
        sentences = _sentences(paras[i])
        if len(sentences) > 1:
            del sentences[rnd.randrange(len(sentences))]
            paras[i] = " ".join(sentences)
    return paras


def labelled_set(data: Path, *, stories: int = 60, copies: int = 3, seed: int = 7) -> list[LabelledPage]:
    """The labelled pages: `stories` dev stories, each as its real page plus `copies`
    re-themed copies, edits and follow-ups (see the module's docstring)."""
    rnd = random.Random(seed)
    pool = load_stories(data)
    rnd.shuffle(pool)
    # Dev pages that copy each other and topical neighbours first, so both are in the
    # set; the rest of the pool gives the text of follow-ups and ledes, never a story of the set.
    natural = natural_copies(pool)
    pairs = topic_pairs(pool[: stories * 3], max(1, stories // 6))
    chosen_idx = list(dict.fromkeys([i for pair in natural + pairs for i in pair] + list(range(stories * 3))))
    chosen_idx = chosen_idx[:stories]
    label = {i: pool[i].key for i in chosen_idx}
    for i, j in natural:
        if i in label and j in label:
            label[j] = label[i]
    chosen = [pool[i] for i in chosen_idx]
    spare = [s for i, s in enumerate(pool) if i not in set(chosen_idx)]
    headlines = [s.title for s in spare[:40] if s.title]
    pages: list[LabelledPage] = []
    for n, story in enumerate(chosen):
        # The real page, as the dev set has it: the original, published first.
        kind = "original" if label[chosen_idx[n]] == story.key else "natural-copy"
        pages.append(LabelledPage(story.url, story.html, label[chosen_idx[n]], kind, story.published))
        for c in range(copies):
            host, name = SITES[(n + c) % len(SITES)]
            when = story.published + timedelta(days=2, hours=3 + 5 * c) if c != copies - 1 or n % 4 else None
            html = themed_page((n + c) % 3, story.title, story.paragraphs, when, host, name,
                               "Wire staff" if c else story.title.split()[0] + " Desk", rnd.sample(headlines, 5))
            pages.append(LabelledPage(f"https://{host}/{story.published:%Y/%m/%d}/{_slug(story.title)}-{n}/",
                                      html.encode("utf-8"), label[chosen_idx[n]], "copy", when))
        edit = ("edited-trim", "edited-lede", "edited-retouch")[n % 3]
        other = spare[(2 * n) % len(spare)]
        filler = [other.paragraphs[0], other.paragraphs[1]]
        host, name = SITES[(n + copies) % len(SITES)]
        when = story.published + timedelta(days=3)
        html = themed_page(n % 3, story.title, _edit(edit, story, rnd, filler), when, host, name, "Staff",
                           rnd.sample(headlines, 5))
        pages.append(LabelledPage(f"https://{host}/edited/{_slug(story.title)}-{n}/", html.encode("utf-8"),
                                  label[chosen_idx[n]], edit, when))
        if n % 3 == 0:  # a follow-up: new text closing with this story's background
            fresh = spare[(2 * n + 1) % len(spare)]
            body = fresh.paragraphs[: max(4, len(fresh.paragraphs) * 2 // 3)] + story.paragraphs[-2:]
            when = story.published + timedelta(days=4)
            host, name = SITES[(n + 1) % len(SITES)]
            html = themed_page((n + 1) % 3, fresh.title, body, when, host, name, "Staff", rnd.sample(headlines, 5))
            pages.append(LabelledPage(f"https://{host}/follow-up/{_slug(fresh.title)}-{n}/", html.encode("utf-8"),
                                      f"follow-up/{label[chosen_idx[n]]}", "follow-up", when))
    return pages


# --- clustering the set through extraction and the archive writer -------------------

def _extract(page: LabelledPage) -> dict:
    from archiver.extract import extract_article

    return extract_article(page.html, page.url)


def cluster_pages(pages: list[LabelledPage], db_path: Path, *, jobs: int = 1) -> tuple[dict, dict, list]:
    """Extract every page and store it through ArchiveWriter (the real pages first, then
    the copies in the set's order); ({page url: cluster id}, {cluster id: its original's
    url}, the extracted records)."""
    from archiver.store.schema import connect
    from archiver.store.writer import ArchiveWriter, Fetched

    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs) as pool:
            records = list(pool.map(_extract, pages, chunksize=8))
    else:
        records = [_extract(p) for p in pages]
    order = sorted(range(len(pages)), key=lambda i: (pages[i].kind == "original" and 0 or 1, i))
    writer = ArchiveWriter(db_path)
    writer.start_run(spider="bench", mode="clusters")
    for i in order:
        writer.add_article(Fetched(requested_url=pages[i].url, record=records[i],
                                   fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds")))
    writer.finish_run("finished")
    writer.close()
    db = connect(db_path, readonly=True)
    by_url = {url: cluster for url, cluster in db.execute(
        "SELECT f.url, a.cluster_id FROM fetches f JOIN articles a ON a.id = f.article_id")}
    originals = {cluster: url for url, cluster, aid in db.execute(
        "SELECT f.url, a.cluster_id, a.id FROM fetches f JOIN articles a ON a.id = f.article_id") if cluster == aid}
    db.conn.close()
    return {p.url: by_url.get(p.url) for p in pages}, originals, records


def score(pages: list[LabelledPage], clusters: dict[str, int | None], originals: dict[int, str]) -> dict:
    """Pairwise precision and recall, recall by kind of copy, merged follow-ups and topic
    neighbours, and how often a cluster's original is the page published first."""
    tp = fp = fn = 0
    by_kind: dict[str, list[int]] = {}
    for a, b in combinations(pages, 2):
        same_story = a.story == b.story
        together = clusters.get(a.url) is not None and clusters.get(a.url) == clusters.get(b.url)
        tp += same_story and together
        fp += (not same_story) and together
        fn += same_story and not together
        if same_story and "original" in (a.kind, b.kind):
            kind = b.kind if a.kind == "original" else a.kind
            by_kind.setdefault(kind, [0, 0])
            by_kind[kind][0] += together
            by_kind[kind][1] += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    follow_ups = [p for p in pages if p.kind == "follow-up"]
    story_cluster = {p.story: clusters.get(p.url) for p in pages if p.kind == "original"}
    merged = sum(clusters.get(p.url) == story_cluster.get(p.story.split("/", 1)[1]) for p in follow_ups)
    # Stories with a natural copy among the dev pages have two real originals: left out here.
    stories = {p.story for p in pages if p.kind == "original"} - {p.story for p in pages if p.kind == "natural-copy"}
    right = sum(originals.get(story_cluster[s]) == next(p.url for p in pages if p.story == s and p.kind == "original")
                for s in stories)
    return {
        "pages": len(pages), "stories": len(stories), "precision": precision, "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "recall_by_kind": {k: v[0] / v[1] for k, v in sorted(by_kind.items())},
        "follow_ups_merged": f"{merged} of {len(follow_ups)}",
        "original_right": right / len(stories) if stories else 1.0,
    }


def margins(pages: list[LabelledPage], records: list[dict]) -> dict:
    """The least similar copy of a story's real page, and the most similar pair of different
    stories: (similarity, contained), estimated as the clustering does."""
    from archiver.syndication import signature

    sigs = [signature(r.get("body")) for r in records]
    weakest, closest = (1.0, 1.0), (0.0, 0.0)
    for (a, sa), (b, sb) in combinations(zip(pages, sigs), 2):
        if sa is None or sb is None:
            continue
        pair = (sa.similarity(sb), sa.contained(sb))
        if a.story != b.story:
            closest = max(closest, pair)
        elif "original" in (a.kind, b.kind):
            weakest = min(weakest, pair)
    return {"weakest_copy": weakest, "closest_other": closest}


def quality(data: Path, *, stories: int, jobs: int) -> dict:
    pages = labelled_set(data, stories=stories)
    with tempfile.TemporaryDirectory() as tmp:
        clusters, originals, records = cluster_pages(pages, Path(tmp) / "labelled.db", jobs=jobs)
    return {**score(pages, clusters, originals), **margins(pages, records)}


# --- cost per article as the archive grows ----------------------------------------

def _generated_body(rnd: random.Random, vocabulary: list[str], words: int = 600) -> str:
    paras = []
    for _ in range(words // 60):
        paras.append(" ".join(rnd.choice(vocabulary) for _ in range(60)).capitalize() + ".")
    return "\n\n".join(paras)


def cost(sizes: list[int], *, probe: int = 500, copy_share: float = 0.2, seed: int = 3) -> list[dict]:
    """CPU time of filing `probe` new articles (signature, lookup, writes) into an archive
    of each size; a `copy_share` of all articles copy an earlier one with a few edits."""
    from archiver.store import clusters
    from archiver.store.schema import connect

    rnd = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(20_000)]
    results = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db = connect(Path(tmp) / "cost.db")
            bodies: list[str] = []

            def add(n: int) -> float:
                spent = 0.0
                db.conn.execute("BEGIN")
                for _ in range(n):
                    if bodies and rnd.random() < copy_share:
                        words = rnd.choice(bodies).split()
                        for _ in range(10):
                            words[rnd.randrange(len(words))] = rnd.choice(vocabulary)
                        body = " ".join(words)
                    else:
                        body = _generated_body(rnd, vocabulary)
                    if len(bodies) < 2000:
                        bodies.append(body)
                    record = {"url": f"https://x.example/{rnd.random()}", "body": body, "byline": "Staff",
                              "published_at": "2024-03-06T08:00:00+00:00", "site": "x.example"}
                    article_id = db["articles"].insert(record).last_pk
                    start = time.process_time()
                    clusters.file_article(db, article_id, record)
                    spent += time.process_time() - start
                db.conn.execute("COMMIT")
                return spent

            built = time.perf_counter()
            for _ in range(max(0, size - probe) // 1000):
                add(1000)
            add(max(0, size - probe) % 1000)
            built = time.perf_counter() - built
            spent = add(probe)
            bands = db.execute("SELECT COUNT(*) FROM signature_bands").fetchone()[0]
            in_clusters = db.execute("SELECT COUNT(*) FROM articles WHERE cluster_id != id").fetchone()[0]
            db.conn.close()
            results.append({"articles": size, "ms_per_article": spent / probe * 1000, "band_rows": bands,
                            "copies_filed": in_clusters, "build_seconds": built})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the benchdata folder")
    parser.add_argument("--stories", type=int, default=80, help="dev stories in the labelled set")
    parser.add_argument("--jobs", type=int, default=2, help="extraction processes")
    parser.add_argument("--cost-sizes", default="1000,100000",
                        help="archive sizes to measure the cost per article at (comma-separated; '' skips)")
    args = parser.parse_args(argv)
    if args.stories:
        if not (args.data / "naeb-dev" / "ground-truth.json").is_file():
            print(f"no dev sets at {args.data} (--data)", file=sys.stderr)
            return 1
        result = quality(args.data, stories=args.stories, jobs=args.jobs)
        print(f"labelled set: {result['pages']} pages, {result['stories']} stories")
        print(f"pairwise precision {result['precision']:.3f}  recall {result['recall']:.3f}  F1 {result['f1']:.3f}")
        for kind, value in result["recall_by_kind"].items():
            print(f"  recall of {kind:15s} {value:.3f}")
        print(f"follow-ups merged with the story they follow: {result['follow_ups_merged']}")
        print(f"clusters whose original is the page published first: {result['original_right']:.3f}")
        print("least similar copy of a real page: similarity {:.2f}, contained {:.2f}".format(*result["weakest_copy"]))
        print("most similar different stories:    similarity {:.2f}, contained {:.2f}".format(*result["closest_other"]))
    sizes = [int(s) for s in args.cost_sizes.split(",") if s.strip()]
    if sizes:
        rows = cost(sizes)
        reference = rows[0]["ms_per_article"]
        for row in rows:
            print(f"{row['articles']:>7} articles: {row['ms_per_article']:.2f} ms CPU per article filed "
                  f"({row['ms_per_article'] / reference:.2f}x the {rows[0]['articles']:,}-article figure; "
                  f"{row['band_rows']:,} band rows, {row['copies_filed']:,} copies; built in {row['build_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
