"""What workers put on the item list, as JSON (never pickle). Pure: no Redis here.

Each message carries its run, job and worker, and a unique id so the writer can
remove exactly that message once its transaction has committed. Kinds:
  article  a fetched page to store (raw bytes base64, or left out)
  outcome  failed / skipped / unchanged, with the reason, as the run records it
  not_due  pages found archived and not due for a revisit (counted only)
  opened / closed  a worker started or stopped working on the job
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from archiver.store.writer import Fetched

VERSION = 1
KINDS = ("article", "outcome", "not_due", "opened", "closed")


class BadMessage(ValueError):
    """A list entry that is not an archiver message (kept aside, not stored)."""


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


def encode_article(origin: Origin, page: Fetched, *, keep_raw: bool) -> str:
    raw = base64.b64encode(page.raw).decode("ascii") if keep_raw and page.raw else None
    return encode(origin, "article", requested_url=page.requested_url, record=page.record,
                  fetched_at=page.fetched_at, status=page.status, headers=page.headers, raw=raw)


def decode(text: str | bytes) -> Message:
    try:
        obj = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadMessage(f"not JSON: {exc}") from exc
    if not isinstance(obj, dict) or obj.get("v") != VERSION or obj.get("kind") not in KINDS:
        raise BadMessage("not an archiver item message (version 1)")
    try:
        head = {k: str(obj.pop(k)) for k in ("kind", "run", "job", "worker", "id")}
    except KeyError as exc:
        raise BadMessage(f"no {exc.args[0]!r} in message") from exc
    obj.pop("v")
    return Message(data=obj, **head)


def to_fetched(message: Message) -> Fetched:
    d = message.data
    raw = base64.b64decode(d["raw"]) if d.get("raw") else b""
    return Fetched(requested_url=d["requested_url"], record=d["record"], fetched_at=d["fetched_at"],
                   status=d.get("status") or 200, headers=d.get("headers") or {}, raw=raw)


def page_url(message: Message) -> str | None:
    """The URL a page message is recorded under in the run's pages."""
    if message.kind == "article":
        return message.data["requested_url"]
    if message.kind == "outcome":
        return message.data["url"]
    return None
