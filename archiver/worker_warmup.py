"""Imported once by the forkserver that forks the extraction workers (see workers.py).

Importing it loads what every worker would otherwise load for itself on its
first page: the extraction code, the language detector's model (68 MB; half a
second to unpack from py3langid's LZMA, a few milliseconds to map from archiver's cache
folder, see extract/language.py), justext's stop words (a third of a second) and the tables
extractors build on first use. The workers fork from the warmed process and share
all of it, copy-on-write. Then the garbage collector is settled (collector.settle:
these long-lived objects are frozen out of every collection, so no worker scans them
again or copies their pages by touching them; and collections come less often),
which the workers inherit.
"""

from __future__ import annotations

from archiver import collector
from archiver.extract import extract_article, trafilatura_passes

_SAMPLE = """<!doctype html><html lang="en"><head><title>Council approves the budget | Example News</title>
<meta property="og:title" content="Council approves the budget">
<meta property="article:published_time" content="2024-03-05T10:00:00+00:00"></head>
<body><header><nav><a href="/">Home</a></nav></header><article><h1>Council approves the budget</h1>
<div class="byline">By Jane Doe</div><time datetime="2024-03-05">March 5, 2024</time>
<p>The city council approved next year's budget on Tuesday after a long debate about the cost of
road repairs, school buildings and the new library that residents had asked for since last spring.</p>
<p>Members voted seven to two in favour. The two who voted against said the plan spends too much on
consultants and too little on the parks that families in the northern districts use every day.</p>
</article><aside class="related"><a href="/news/2024/03/04/other-story.html">Another story</a></aside>
<footer>Example News</footer></body></html>"""


def warm() -> None:
    """Extract one small built-in page and build justext's stop words (which that page
    does not need), then settle the collector."""
    extract_article(_SAMPLE.encode(), "https://news.example/2024/03/05/council-budget.html")
    trafilatura_passes.preload()
    collector.settle()


warm()
