"""The values extraction offers for each field, in source order: the first stated one wins.

With `explain`, every candidate offered is kept with what became of it (chosen,
or why not), as it is offered: `archiver extract --explain` prints that trail,
so it shows the very decisions extraction made, not a second account of them.
"""

from __future__ import annotations

from typing import NamedTuple

_EMPTY = (None, "", [])


class Candidate(NamedTuple):
    field: str
    source: str
    raw: object  # what the source said, before normalizing (None when the same as value)
    value: object  # what it normalized to (None: nothing usable)
    verdict: str  # chosen, or why not
    chosen: bool


class Fields:
    """Field values and where each came from; the first offer of a value wins."""

    def __init__(self, *, explain: bool = False) -> None:
        self.values: dict = {}
        self.provenance: dict = {}
        self.trail: list[Candidate] | None = [] if explain else None

    @property
    def explaining(self) -> bool:
        return self.trail is not None

    def offer(self, field: str, value, source: str, *, raw=None, why: str | None = None,
              explained: bool = False) -> bool:
        """Take value for field unless an earlier source gave one; True when taken.

        `why`: the verdict to show (what was wrong with raw, when value is empty);
        `explained`: the caller already noted the candidates this value comes from."""
        empty = value in _EMPTY
        taken = not empty and field not in self.values
        if taken:
            self.values[field] = value
            self.provenance[field] = source
        if self.trail is not None and not explained and not (empty and raw in _EMPTY):
            if taken:
                verdict = why or "chosen: the first source that states it"
            elif empty:
                verdict = why or "nothing usable in it"
            else:
                verdict = f"not used: {self.provenance[field]} came first"
            self.note(field, source, raw, verdict, value=value, chosen=taken)
        return taken

    def note(self, field: str, source: str, raw, verdict: str, *, value=None, chosen: bool = False) -> None:
        """Record a candidate that was looked at (when explaining)."""
        if self.trail is not None:
            self.trail.append(Candidate(field, source, None if raw == value else raw, value, verdict, chosen))

    def replace(self, field: str, value, why: str) -> None:
        """Change a chosen value (the same source's statement, read better), saying why."""
        if value in _EMPTY or self.values.get(field) == value:
            return
        if self.trail is not None:
            self.note(field, self.provenance.get(field, ""), self.values.get(field), why, value=value, chosen=True)
        self.values[field] = value

    def explanation(self, record: dict, order) -> dict:
        """{field: {value, source, candidates: [...]}} for the fields anything was offered for."""
        out: dict = {}
        for candidate in self.trail or ():
            entry = out.setdefault(candidate.field, {"value": record.get(candidate.field),
                                                     "source": self.provenance.get(candidate.field),
                                                     "candidates": []})
            entry["candidates"].append({"source": candidate.source, "raw": candidate.raw,
                                        "value": candidate.value, "chosen": candidate.chosen,
                                        "verdict": candidate.verdict})
        return {name: out[name] for name in order if name in out}
