"""What workers put on the item list, as JSON (never pickle). Pure: no Redis here.

Each message carries its run, job and worker, and a unique id. Kinds:
  article  a fetched page to store: its record, and the raw page compressed as the
           worker has it (base64 of the compressed bytes, with the compression's name)
  outcome  failed / skipped / unchanged, with the reason, as the run records it
  not_due  pages found archived and not due for a revisit (counted only)
  opened / closed  a worker started or stopped working on the job

`decode` checks every field of every kind, so a malformed message is refused
(BadMessage, with the reason) before anything of it reaches the archive.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from archiver.distributed.keys import check_name
from archiver.record import BY_NAME
from archiver.store import raw as raw_pages
from archiver.store.writer import OUTCOMES, Fetched

VERSION = 1
KINDS = ("article", "outcome", "not_due", "opened", "closed")
# How raw pages travel; a name the writer does not know is refused, not guessed.
COMPRESSIONS = raw_pages.FORMATS


class BadMessage(ValueError):
    """A list entry that is not a well-formed archiver message (quarantined, not stored)."""


@dataclass(frozen=True)
class Origin:
    """Where messages come from: a worker on one job of a run."""

    run: str
    job: str
    worker: str


@dataclass
class Message:
    kind: str
    run: str
    job: str
    worker: str
    data: dict[str, Any] = field(default_factory=dict)
    id: str = ""


def encode(origin: Origin, kind: str, **data: Any) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    return json.dumps(
        {"v": VERSION, "id": uuid.uuid4().hex, "kind": kind, "run": origin.run, "job": origin.job,
         "worker": origin.worker, **data},
        ensure_ascii=False, separators=(",", ":"),
    )


# What an article message carries of Fetched.capture.
RECEIVED = ("url", "protocol", "headers")


def encode_article(origin: Origin, page: Fetched, *, keep_raw: bool) -> str:
    """An article message; the raw page goes as the compressed bytes (compressed here if need be)."""
    raw = compression = size = None
    if keep_raw and (page.raw or page.raw_packed):
        packed, compression = ((page.raw_packed, page.packed_as) if page.raw_packed
                               else (raw_pages.pack(page.raw), raw_pages.FORMAT))
        raw = base64.b64encode(packed).decode("ascii")
        size = len(page.raw) if page.raw else None
    # The response as received (archiver.capture), for the WARC export; the worker's own
    # WARC records ("warc") name files on its machine, so they stay there.
    received = {key: page.capture[key] for key in RECEIVED if page.capture.get(key)} or None
    return encode(origin, "article", requested_url=page.requested_url, record=page.record,
                  fetched_at=page.fetched_at, status=page.status, headers=page.headers, raw=raw,
                  compression=compression, raw_size=size, received=received)


# --- checking ------------------------------------------------------------------

def _want(ok: bool, what: str) -> None:
    if not ok:
        raise BadMessage(what)


def _text(obj: dict, key: str, *, optional: bool = False) -> str | None:
    value = obj.get(key)
    if value is None and optional:
        return None
    _want(isinstance(value, str) and value != "", f"{key!r} must be a non-empty string (got {_shown(value)})")
    return value


def _int(obj: dict, key: str, *, optional: bool = False, low: int | None = None, high: int | None = None):
    value = obj.get(key)
    if value is None and optional:
        return None
    _want(isinstance(value, int) and not isinstance(value, bool), f"{key!r} must be an integer (got {_shown(value)})")
    _want((low is None or value >= low) and (high is None or value <= high),
          f"{key!r} = {value} is out of range")
    return value


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_url(obj: dict, key: str) -> None:
    url = _text(obj, key)
    _want(url.startswith(("http://", "https://")), f"{key!r} is not an http(s) URL: {_shown(url)}")


# What each kind of record field (archiver.record) may hold in a message.
_KIND_OK = {
    "text": lambda v: isinstance(v, str),
    "url": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "flag": lambda v: isinstance(v, (bool, int)),
    "list": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "links": lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
    "json": lambda v: isinstance(v, dict),
}


def _check_record(record: Any) -> None:
    """Each field as the record's field spec (archiver.record.SPEC) declares its kind, or null."""
    _want(isinstance(record, dict), f"'record' must be an object (got {_shown(record)})")
    _want(isinstance(record.get("url"), str) and record["url"], "'record' has no 'url'")
    for key, value in record.items():
        spec = BY_NAME.get(key)
        if value is None or spec is None:
            continue  # a field this version does not know is not stored
        _want(_KIND_OK[spec.kind](value), f"record field {key!r} must be {spec.kind} (got {_shown(value)})")


def _received_ok(received: Any) -> bool:
    if received is None:
        return True
    if not isinstance(received, dict) or not all(isinstance(received.get(k, ""), str) for k in ("url", "protocol")):
        return False
    headers = received.get("headers", [])
    return isinstance(headers, list) and all(
        isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in headers)


def _check_article(d: dict) -> None:
    _check_url(d, "requested_url")
    _check_record(d.get("record"))
    fetched_at = _text(d, "fetched_at")
    try:
        datetime.fromisoformat(fetched_at)
    except ValueError:
        raise BadMessage(f"'fetched_at' is not an ISO 8601 time: {_shown(fetched_at)}") from None
    _int(d, "status", optional=True, low=100, high=599)
    headers = d.get("headers")
    _want(headers is None or (isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())),
          "'headers' must be an object of strings")
    _int(d, "raw_size", optional=True, low=0)
    _want(_received_ok(d.get("received")),
          "'received' must be an object: url and protocol (text), headers ([name, value] pairs of text)")
    if d.get("raw") is not None:
        _want(isinstance(d["raw"], str), "'raw' must be base64 text")
        compression = d.get("compression")
        _want(compression is None or compression in COMPRESSIONS,
              f"unknown compression {_shown(compression)} (known: {', '.join(COMPRESSIONS)})")
        try:
            packed = base64.b64decode(d["raw"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadMessage(f"'raw' is not valid base64: {exc}") from None
        if compression is not None:
            try:
                d["_raw"] = raw_pages.unpack(packed, compression)
            except raw_pages.CorruptData as exc:
                raise BadMessage(f"'raw' is not valid {compression} data: {exc}") from None
            d["_raw_packed"], d["_packed_as"] = packed, compression
        else:  # an older worker: the page itself
            d["_raw"], d["_raw_packed"], d["_packed_as"] = packed, b"", raw_pages.FORMAT


def _check_outcome(d: dict) -> None:
    _text(d, "url")
    outcome = d.get("outcome")
    _want(outcome in OUTCOMES, f"'outcome' must be one of {', '.join(OUTCOMES)} (got {_shown(outcome)})")
    _want(d.get("reason") is None or isinstance(d["reason"], str), "'reason' must be text")
    _want(d.get("access") is None or isinstance(d["access"], str), "'access' must be text")
    _int(d, "status", optional=True, low=100, high=599)


def _check_not_due(d: dict) -> None:
    _int(d, "count", low=1)


def _check_opened(d: dict) -> None:
    _text(d, "spider")
    _text(d, "mode")
    _text(d, "source", optional=True)


def _check_closed(d: dict) -> None:
    _text(d, "status")


_CHECKS = {"article": _check_article, "outcome": _check_outcome, "not_due": _check_not_due,
           "opened": _check_opened, "closed": _check_closed}


def decode(text: str | bytes) -> Message:
    """A checked message; BadMessage says what is wrong with it."""
    try:
        obj = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadMessage(f"not JSON: {exc}") from exc
    if not isinstance(obj, dict) or obj.get("v") != VERSION or obj.get("kind") not in KINDS:
        raise BadMessage("not an archiver item message (version 1)")
    head = {}
    for key in ("kind", "run", "job", "worker", "id"):
        head[key] = _text(obj, key)
    try:
        check_name("run", head["run"])
        check_name("job", head["job"])
    except ValueError as exc:
        raise BadMessage(str(exc)) from None
    for key in (*head, "v"):
        obj.pop(key)
    _CHECKS[head["kind"]](obj)
    return Message(data=obj, **head)


def to_fetched(message: Message) -> Fetched:
    d = message.data
    return Fetched(requested_url=d["requested_url"], record=d["record"], fetched_at=d["fetched_at"],
                   status=d.get("status") or 200, headers=d.get("headers") or {},
                   raw=d.get("_raw") or b"", raw_packed=d.get("_raw_packed") or b"",
                   packed_as=d.get("_packed_as") or raw_pages.FORMAT,
                   capture={k: v for k, v in (d.get("received") or {}).items() if k in RECEIVED})


def page_url(message: Message) -> str | None:
    """The URL a page message is recorded under in the run's pages."""
    if message.kind == "article":
        return message.data["requested_url"]
    if message.kind == "outcome":
        return message.data["url"]
    return None


def quarantined(text: str | bytes, reason: str, at: str) -> str:
    """What goes on the rejected list: the message as it came, and why it was refused."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return json.dumps({"reason": reason, "at": at, "message": text}, ensure_ascii=False, separators=(",", ":"))
