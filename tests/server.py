"""`streamlit run app.py` for the browser tests: the benchmarks' launcher, failing the test
(and naming the server's log) when the server does not come up."""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.bench_browser import start_streamlit, stop_streamlit


def start_server(data_dir: Path):
    """Start a server on the databases of `data_dir`; (process, URL, open log file)."""
    log = open(data_dir / "streamlit.log", "w")
    try:
        server, url = start_streamlit(data_dir, log)
    except RuntimeError as error:
        log.close()
        pytest.fail(str(error))
    return server, url, log


def stop_server(server, log) -> None:
    stop_streamlit(server)
    log.close()
