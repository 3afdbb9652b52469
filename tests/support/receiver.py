"""A webhook receiver on 127.0.0.1 (port 0) that keeps every POST it gets, and can be told
to fail the first few with a 500."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler

from tests.support.server import LoopbackServer


class Receiver(LoopbackServer):
    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.requests: list[dict] = []  # {"path", "status" answered, "headers", "body" (JSON)}
        self._lock = threading.Lock()
        receiver = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    status = 500 if receiver.fail_first > 0 else 204
                    receiver.fail_first -= 1
                    receiver.requests.append({"path": self.path, "status": status, "headers": dict(self.headers),
                                              "body": json.loads(body)})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(_Handler)

    def delivered(self) -> list[dict]:
        """The bodies of the POSTs answered 2xx, in order."""
        with self._lock:
            return [r["body"] for r in self.requests if r["status"] < 300]
