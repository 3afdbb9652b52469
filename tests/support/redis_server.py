"""A throwaway redis-server on 127.0.0.1, a free port and a temporary directory."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """`with RedisServer(tmp_dir) as r: r.url` — appendonly on, as the README asks of production."""

    def __init__(self, directory: Path, password: str | None = "test-secret"):
        self.directory = Path(directory)
        self.password = password
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (Redis writes its append-only file first) or SIGKILL."""
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        self.proc.wait(10)

    def restart(self, down_for: float = 0.0, *, kill: bool = False) -> None:
        """Stop Redis, wait, start it again on the same port with the same data."""
        self.stop(kill=kill)
        time.sleep(down_for)
        self.__enter__()

    def __enter__(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
                "--save", "", "--appendonly", "yes", "--maxmemory-policy", "noeviction", "--daemonize", "no",
                "--logfile", str(self.directory / "redis.log")]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError(f"redis-server did not start (see {self.directory / 'redis.log'})")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
