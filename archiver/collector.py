"""The garbage collector's settings for long runs: a crawl, an import, an extraction worker.

Crawling and extraction make a great many short-lived objects and almost no
reference cycles (reference counting frees nearly everything). With Python's
default first threshold (700 allocations) the collector ran every few hundred
allocations and, at each full collection, walked every object loaded at
start-up: about 2 ms of a page's extraction and 1 ms of the crawl process's
work per page went to it. At THRESHOLD it runs a few times per thousand pages.
"""

from __future__ import annotations

import gc

THRESHOLD = (10_000, 10, 10)


def settle() -> None:
    """Call once set-up is done: what is loaded by now (modules, tables, models) is
    frozen out of every later collection (and, in a process that forks, out of the
    pages a collection would copy into each child), and collections come less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLD)
