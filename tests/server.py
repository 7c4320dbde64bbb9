"""`streamlit run app.py` for the browser tests: headless, on 127.0.0.1 at a free port."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def start_server(data_dir: Path):
    """Start a server on the databases of `data_dir`; (process, URL, open log file).

    Waits for the health check (60 s at most); a server that does not come up fails the
    test and names its log."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(data_dir / "streamlit.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
         "--server.address=127.0.0.1", f"--server.port={port}",
         "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=ROOT, env={**os.environ, "ATLAS_DATA_DIR": str(data_dir)}, stdout=log,
        stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return server, url, log
        except OSError:
            time.sleep(0.3)
    server.kill()
    log.close()
    pytest.fail(f"streamlit did not start; see {data_dir / 'streamlit.log'}")


def stop_server(server: subprocess.Popen, log) -> None:
    server.terminate()
    server.wait(timeout=20)
    log.close()
