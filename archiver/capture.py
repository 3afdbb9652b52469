"""Capture as archivists do: each HTTP exchange noted as the downloader received it.

CaptureMiddleware sits nearest the network (after redirects, retries, decompression and
cookies have had their say on the request, before they touch the response), so it sees
the response with its Content-Encoding and encoded bytes, every redirect and retry, and
robots.txt, feeds and sitemaps as well as articles.
"""

from __future__ import annotations

from scrapy.http import Request, Response

from archiver.items import CAPTURE_META


def received_headers(response: Response) -> list[list[str]]:
    """The response's headers as Scrapy holds them: [name, value] per value, in order (latin-1)."""
    return [[name.decode("latin-1"), value.decode("latin-1")]
            for name, values in response.headers.items() for value in values]


class CaptureMiddleware:
    """Downloader middleware: puts what was received (url, protocol, header list) on the
    request's meta (CAPTURE_META) for the archive."""

    def process_response(self, request: Request, response: Response):
        if "cached" in response.flags:  # from HTTPCACHE: not an exchange of this crawl
            return response
        request.meta[CAPTURE_META] = {"url": response.url, "protocol": response.protocol,
                                      "headers": received_headers(response)}
        return response
