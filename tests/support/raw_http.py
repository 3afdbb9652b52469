"""A loopback HTTP server that answers with canned bytes and keeps the bytes of every
request, for tests that compare what archiver recorded with what crossed the socket."""

from __future__ import annotations

import socket
import threading


class RawSite:
    """Serves `responses` (request path -> the whole response as bytes; anything else a 404),
    one request per connection, and keeps each request's raw bytes in `received`."""

    NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

    def __init__(self, responses: dict[str, bytes]):
        self.responses = responses
        self.received: dict[str, bytes] = {}
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)  # so the loop sees _stop
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._stop = False

    @property
    def url(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                path = data.split(b" ", 2)[1].decode("latin-1") if data.count(b" ") >= 2 else ""
                self.received[path] = data
                conn.sendall(self.responses.get(path, self.NOT_FOUND))

    def __enter__(self) -> RawSite:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop = True
        self._thread.join(timeout=5)
        self._sock.close()
