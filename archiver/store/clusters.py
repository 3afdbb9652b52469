"""Syndication clusters in the archive: each article's signature and band buckets
(article_signatures, signature_bands), and its cluster (articles.cluster_id, the id of
the cluster's original; its own id when it has no copies).

Filing an article costs the same however large the archive grows: its 42 buckets are
looked up in an index, a bounded number of candidates per bucket, and only the chosen
cluster's original is compared with it. Only when a new copy is older than the original
(or the original changes) are the cluster's members updated.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from archiver import syndication

# Candidates read per bucket, and candidates compared: enough for the copies of a story,
# bounded for a story copied thousands of times.
PER_BUCKET = 8
COMPARED = 12

_CANDIDATES_SQL = (
    "SELECT article_id FROM ("
    + " UNION ALL ".join(
        f"SELECT * FROM (SELECT article_id FROM signature_bands WHERE bucket = ? LIMIT {PER_BUCKET})"
        for _ in range(syndication.BANDS))
    + f") GROUP BY article_id ORDER BY COUNT(*) DESC, article_id LIMIT {COMPARED}"
)
_KEY_COLUMNS = "id, published_at, site, site_name"


def file_article(db: sqlite_utils.Database, article_id: int, record: dict[str, Any]) -> int:
    """Put a newly stored or changed article in its cluster (inside the caller's
    transaction); returns its cluster id."""
    _leave(db, article_id)
    sig = syndication.signature(record.get("body"))
    if sig is None:
        return _set_cluster(db, article_id, article_id)
    buckets = sig.buckets()
    candidates = [row[0] for row in db.execute(_CANDIDATES_SQL, buckets)]
    db.execute("INSERT INTO article_signatures (article_id, signature, shingles, credit) VALUES (?, ?, ?, ?)",
               [article_id, sig.packed(), sig.shingles,
                syndication.wire_credit(record.get("byline"), record.get("body"))])
    db.conn.executemany("INSERT INTO signature_bands (bucket, article_id) VALUES (?, ?)",
                        [(bucket, article_id) for bucket in buckets])
    cluster = _best_cluster(db, sig, candidates)
    if cluster is None:
        return _set_cluster(db, article_id, article_id)
    original, new = _key_rows(db, [cluster, article_id])
    if syndication.original_key(new) < syndication.original_key(original):
        db.execute("UPDATE articles SET cluster_id = ? WHERE cluster_id = ?", [article_id, cluster])
        return _set_cluster(db, article_id, article_id)
    return _set_cluster(db, article_id, cluster)


def _set_cluster(db: sqlite_utils.Database, article_id: int, cluster: int) -> int:
    db.execute("UPDATE articles SET cluster_id = ? WHERE id = ?", [cluster, article_id])
    return cluster


def _best_cluster(db: sqlite_utils.Database, sig: syndication.Signature, candidates: list[int]) -> int | None:
    """The cluster of the most similar candidate that is a copy, if any."""
    if not candidates:
        return None
    rows = db.execute(
        "SELECT s.article_id, s.signature, s.shingles, COALESCE(a.cluster_id, a.id) FROM article_signatures s "
        f"JOIN articles a ON a.id = s.article_id WHERE s.article_id IN ({', '.join('?' * len(candidates))})",
        candidates,
    ).fetchall()
    copies = []
    for article_id, blob, count, cluster in rows:
        other = syndication.Signature.unpacked(blob, count)
        if sig.is_copy(other):
            copies.append((-sig.similarity(other), article_id, cluster))
    return min(copies)[2] if copies else None


def _key_rows(db: sqlite_utils.Database, ids: list[int]) -> list[dict[str, Any]]:
    by_id = {row["id"]: row for row in db.query(
        f"SELECT {_KEY_COLUMNS} FROM articles WHERE id IN ({', '.join('?' * len(ids))})", ids)}
    return [by_id[i] for i in ids]


def _leave(db: sqlite_utils.Database, article_id: int) -> None:
    """Take an article out of its cluster and the band index (before it is filed again)."""
    old = db.execute("SELECT signature, shingles FROM article_signatures WHERE article_id = ?",
                     [article_id]).fetchone()
    if old is None:
        return
    buckets = syndication.Signature.unpacked(*old).buckets()
    db.execute(f"DELETE FROM signature_bands WHERE article_id = ? AND bucket IN ({', '.join('?' * len(buckets))})",
               [article_id, *buckets])
    db.execute("DELETE FROM article_signatures WHERE article_id = ?", [article_id])
    others = list(db.query(f"SELECT {_KEY_COLUMNS} FROM articles WHERE cluster_id = ? AND id != ?",
                           [article_id, article_id]))
    if others:  # it was the original: the oldest of the rest takes over
        successor = min(others, key=syndication.original_key)["id"]
        db.execute("UPDATE articles SET cluster_id = ? WHERE cluster_id = ? AND id != ?",
                   [successor, article_id, article_id])
    _set_cluster(db, article_id, article_id)


def file_all(db: sqlite_utils.Database, *, batch: int = 500) -> int:
    """File every article, in the order they were archived (an archive made before
    clusters); returns how many."""
    last, count = 0, 0
    while True:
        rows = list(db.query("SELECT id, byline, body FROM articles WHERE id > ? ORDER BY id LIMIT ?",
                             [last, batch]))
        if not rows:
            return count
        for row in rows:
            file_article(db, row["id"], row)
        last, count = rows[-1]["id"], count + len(rows)


# --- reads ------------------------------------------------------------------------

def cluster_members(db: sqlite_utils.Database, article_id: int) -> list[dict[str, Any]]:
    """Every article of `article_id`'s cluster, the original first, then by publication
    time: id, site, site_name, published_at, title, url, credit, similarity (estimated,
    to the original), contained (the share of the shorter text found in the other,
    estimated), is_original."""
    row = db.execute("SELECT COALESCE(cluster_id, id) FROM articles WHERE id = ?", [article_id]).fetchone()
    if row is None:
        return []
    cluster = row[0]
    members = list(db.query(
        f"SELECT a.{_KEY_COLUMNS.replace(', ', ', a.')}, a.title, a.url, s.credit, s.signature, s.shingles "
        "FROM articles a LEFT JOIN article_signatures s ON s.article_id = a.id "
        "WHERE a.id = ? OR a.cluster_id = ?", [cluster, cluster]))
    members.sort(key=lambda m: (m["id"] != cluster, syndication.original_key(m)))
    signatures = []
    for member in members:
        blob, count = member.pop("signature"), member.pop("shingles")
        signatures.append(syndication.Signature.unpacked(blob, count) if blob else None)
    original = signatures[0]
    for member, sig in zip(members, signatures):
        member["is_original"] = member["id"] == cluster
        known = sig is not None and original is not None
        member["similarity"] = round(original.similarity(sig), 2) if known else None
        member["contained"] = round(original.contained(sig), 2) if known else None
    return members
