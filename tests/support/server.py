"""A fixture web site on 127.0.0.1, port 0, in a background thread, with a request log."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})


Handler = Callable[[BaseHTTPRequestHandler], None]


def send_page(handler: BaseHTTPRequestHandler, page: Page) -> None:
    """Answer a request with a Page: status, headers, Content-Length, body."""
    handler.send_response(page.status)
    for name, value in page.headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(page.body)))
    handler.end_headers()
    handler.wfile.write(page.body)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that hung up (a timeout under test) is not the test's failure


class FixtureSite:
    """Serves `pages` (path -> Page, or a callable that writes its own response), on a
    loopback address (127.0.0.2 and up are other sites to archiver: another host name)."""

    def __init__(self, pages: dict[str, Page | Handler] | None = None, host: str = "127.0.0.1"):
        self.pages: dict[str, Page | Handler] = dict(pages or {})
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.times: list[float] = []  # time.monotonic() of each request, in the order of `requests`
        self._lock = threading.Lock()
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's naming)
                with site._lock:
                    site.requests.append(("GET", self.path, dict(self.headers)))
                    site.times.append(time.monotonic())
                page = site.pages.get(self.path)
                if page is None:
                    page = site.pages.get(self.path.split("?")[0])
                if callable(page):
                    page(self)
                    return
                if page is None:
                    page = Page(b"<html><body><h1>Not found</h1></body></html>", status=404)
                etag = page.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                send_page(self, page)

            def log_message(self, *args):
                pass

        self.server = _QuietServer((host, 0), _Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def times_requested(self, prefix: str) -> list[float]:
        """When each request for a path starting with `prefix` arrived (monotonic seconds)."""
        with self._lock:
            return [t for (_, path, _), t in zip(self.requests, self.times) if path.startswith(prefix)]

    def paths_requested(self) -> list[str]:
        with self._lock:
            return [path for _, path, _ in self.requests]

    def __enter__(self) -> "FixtureSite":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
