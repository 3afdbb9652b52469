"""Preloaded by the forkserver of a long run, before worker_warmup (see workers.py).

htmldate, the last resort for a page's date, hands dateparser the strings its own
patterns cannot read, and the first one dateparser cannot read either makes it load
all of its 200-odd locales: about 1.5 s of CPU and 65 MB. Loaded here, once, the
workers fork with them; otherwise every worker of a long run pays that for itself.
A short run does not: most of its workers never meet such a string.
"""

from __future__ import annotations

from dateparser import DateDataParser

# A line no locale reads as a date: dateparser tries (and so loads) every locale.
# The locales are shared by every parser, htmldate's included.
DateDataParser(settings={"PARSERS": ["absolute-time"]}).get_date_data("no day in this line")
