"""The README's Scrapyd path, for real: scrapyd on a free port, `scrapyd-deploy` from a copy
of the checkout, and the `worker` spider scheduled there doing a job of a distributed run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support.cluster import env_for, redis_client, run, wait_until
from tests.support.cluster import redis_server  # noqa: F401 (a fixture)
from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(not (BIN / "scrapyd").exists() or not (BIN / "scrapyd-deploy").exists(),
                                reason="scrapyd and scrapyd-client are not installed (pip install '.[test]')")


def api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path):
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\n")
    log = open(home / "scrapyd.log", "w")
    proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return api(base, "daemonstatus.json")["status"] == "ok"
        except OSError:
            return proc.poll() is not None  # died: stop waiting, the assertion says so

    wait_until(up, 30, "scrapyd")
    assert proc.poll() is None, (home / "scrapyd.log").read_text()
    yield base, home
    proc.terminate()
    proc.wait(10)
    log.close()


def test_scrapyd_deploy_then_a_worker_scheduled_there(scrapyd, redis_server, site, tmp_path):
    base, home = scrapyd
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "scrapy.cfg"):
        shutil.copy(ROOT / name, checkout / name)
    shutil.copytree(ROOT / "archiver", checkout / "archiver", ignore=shutil.ignore_patterns("__pycache__"))
    cfg = checkout / "scrapy.cfg"
    cfg.write_text(cfg.read_text().replace("http://localhost:6800/", base + "/"))
    setup_py = (checkout / "setup.py").read_text()

    deployed = subprocess.run([str(BIN / "scrapyd-deploy")], cwd=checkout, capture_output=True, text=True, timeout=120)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert '"status": "ok"' in deployed.stdout and '"project": "archiver"' in deployed.stdout
    # scrapyd-deploy used the project's own setup.py; it wrote none of its own.
    assert (checkout / "setup.py").read_text() == setup_py
    assert "worker" in api(base, "listspiders.json?project=archiver")["spiders"]

    env = env_for(redis_server.url)
    run_id = run("enqueue", f"{site.url}/news/story-1.html", "-q", cwd=tmp_path, env=env).stdout.strip()
    job = api(base, "schedule.json", [
        ("project", "archiver"), ("spider", "worker"), ("setting", f"ARCHIVER_REDIS_URL={redis_server.url}"),
        ("setting", f"ARCHIVER_RUN_ID={run_id}"), ("setting", "ARCHIVER_IDLE_TIMEOUT=1"),
        ("setting", f"ARCHIVER_SPOOL_DIR={tmp_path / 'spool'}"), ("setting", "DOWNLOAD_DELAY=0"),
    ])["jobid"]

    def finished() -> bool:
        return any(j["id"] == job for j in api(base, "listjobs.json?project=archiver")["finished"])

    wait_until(finished, 60, "the Scrapyd job")
    kinds = [json.loads(m)["kind"] for m in redis_client(redis_server.url).lrange("archiver:items", 0, -1)[::-1]]
    logs = "".join(p.read_text() for p in (home / "logs").rglob("*.log"))
    assert kinds == ["opened", "article", "closed"], logs[-3000:]
    assert "Traceback" not in logs, logs[-3000:]
