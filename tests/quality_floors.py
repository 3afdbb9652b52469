"""Committed floors of extraction quality on the shared dev sets (tests/test_quality_floor.py).

Each floor sits 0.005 below archiver's figure on main when it was set (c1063a7; bench/extraction.py
prints the figures). Raise a floor whenever extraction improves, so the gain cannot be lost
unnoticed; never lower one to make a change pass. Raised with issue 12's metadata rules (titles,
credits, dates): naeb-dev title and author, fundus title, tfeval-dev title, author and date;
with its body rules: tfeval-dev body.
"""

FLOORS = {
    "naeb-dev": {"body_f1": 0.940, "title_exact": 0.914, "author_f1": 0.920, "date_day": 0.844},
    "fundus": {"body_f1": 0.959, "title_exact": 0.862, "author_f1": 0.907, "date_day": 0.987},
    # Scored by trafilatura's snippet rule (score_snippets.py): body F1 from summed counts.
    "tfeval-dev": {"body_f1": 0.933, "title_exact": 0.812, "author_f1": 0.627, "date_day": 0.880},
}
