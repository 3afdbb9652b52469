"""Distributed crawling: a shared Redis frontier (scrapy-redis), workers that queue
items in Redis, and one writer (`archiver ingest`) that moves them into SQLite.

Nothing here is imported unless a distributed command runs (`archiver enqueue`,
`worker`, `ingest`, `status`, or the `worker` spider); only the modules that talk to Redis
import `redis`, and only inside the functions that need it.
"""
