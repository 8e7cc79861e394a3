"""pywb, Webrecorder's replay server, in a virtualenv of its own, serving a WACZ on a free
loopback port.

pywb cannot live in the project's environment: it pins ``redis==2.10.6``, which scrapy-redis
cannot use. So, as ``tests/utils/system.py`` does for the servers Debian provides, the tests
install it themselves when it is missing: ``python -m venv`` plus ``pip install pywb`` into
``~/.cache/newscrawl-tests/pywb`` (``NEWSCRAWL_TEST_CACHE`` moves the cache), once; later runs
reuse it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.utils.redis_server import free_port

REQUIREMENT = "pywb>=2.7"  # 2.7 added `wb-manager add --unpack-wacz`


def cache_dir() -> Path:
    return Path(os.environ.get("NEWSCRAWL_TEST_CACHE") or Path.home() / ".cache" /
                "newscrawl-tests")


def pywb_bin() -> Path:
    """The bin/ directory of the cached pywb virtualenv, made first if it is missing."""
    home = cache_dir() / "pywb"
    done = home / "installed"  # written last: a venv half made by a killed run is made again
    if done.exists():
        return home / "bin"
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / "pywb.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test sessions at once install it once
        if not done.exists():
            shutil.rmtree(home, ignore_errors=True)
            _run([sys.executable, "-m", "venv", str(home)])
            _run([str(home / "bin" / "python"), "-m", "pip", "install", "--quiet",
                  REQUIREMENT])
            done.write_text(REQUIREMENT + "\n")
    return home / "bin"


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"{' '.join(command[:4])} failed: {last}")


class Wayback:
    """pywb's ``wayback`` serving one collection made from one WACZ (``wb-manager add
    --unpack-wacz``, which keeps the package's own CDXJ index), on 127.0.0.1."""

    def __init__(self, root: Path, collection: str, package: Path) -> None:
        self.root, self.collection = root, collection
        self.bin = pywb_bin()
        root.mkdir(parents=True, exist_ok=True)
        self._manage("init", collection)
        self._manage("add", "--unpack-wacz", collection, str(package))
        self.index = root / "collections" / collection / "indexes" / "index.cdxj"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(root / "wayback.log", "wb")  # closed in stop()
        self.process = subprocess.Popen(
            [str(self.bin / "wayback"), "--port", str(self.port), "--bind", "127.0.0.1"],
            cwd=root, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait()

    def _manage(self, *args: str) -> None:
        done = subprocess.run([str(self.bin / "wb-manager"), *args], cwd=self.root,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"wayback ended: {(self.root / 'wayback.log').read_text()}")
            try:
                with urllib.request.urlopen(self.base + "/", timeout=5):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise RuntimeError("wayback did not answer within 60 s")

    def get(self, timestamp: str, url: str, modifier: str = "id_") -> tuple[int, bytes]:
        """The capture of ``url`` nearest ``timestamp``: ``id_`` as archived, ``mp_`` as pywb
        rewrites it for replay."""
        address = f"{self.base}/{self.collection}/{timestamp}{modifier}/{url}"
        try:
            with urllib.request.urlopen(address, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
