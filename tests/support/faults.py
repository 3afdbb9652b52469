"""Components that fail on purpose, plugged into a real crawl by setting, for the tests
that a failing page is recorded as failed (never lost): pages whose path contains
"/boom" make them raise."""

from __future__ import annotations


def _boom(url: str) -> None:
    if "/boom" in url:
        raise RuntimeError(f"planted failure on {url}")


class RaisingSpiderMiddleware:
    """Raises while the spider's output for a /boom page passes through."""

    def process_spider_output(self, response, result):
        for entry in result:
            _boom(response.url)
            yield entry

    async def process_spider_output_async(self, response, result):
        async for entry in result:
            _boom(response.url)
            yield entry


class RaisingPipeline:
    """Raises on the item of a /boom page."""

    def process_item(self, item):
        _boom(getattr(item, "requested_url", "") or getattr(item, "url", ""))
        return item
