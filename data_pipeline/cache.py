"""The raw cache: every fetched file kept as it came, with a manifest to audit and replay.

Layout: `<root>/<city>/<source>/` holds the files of one source and `manifest.json`, whose
entries list, in fetch order, each file with the URL and parameters it came from (never
a key or token), the fetch time (UTC), its sha256, row count and size. Files and the
manifest are written atomically (temporary file, then rename), so a killed fetch leaves
either the old state or the new, never half a file. A fresh set is written aside
(`replacing`); a fetch that was interrupted — killed, or failed after its retries — keeps
what it set aside for a day, and the next fetch skips every file already there (`kept`).
A build with `--offline` reads only from here (`require`), and `verify` re-checks every
checksum.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from core.errors import PipelineError, disk_reason
from .http import redact

MANIFEST = "manifest.json"
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
RESUME_WINDOW = timedelta(days=1)   # how long an interrupted fetch may be resumed
SECRET_PARAMS = frozenset({"key", "api_key", "apikey", "$$app_token", "app_token", "token"})


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def public_params(params: Any) -> dict[str, Any]:
    """Parameters as the manifest keeps them: secrets dropped, repeated names as lists."""
    pairs = params.items() if isinstance(params, dict) else (params or ())
    out: dict[str, Any] = {}
    for name, value in pairs:
        if str(name).lower() in SECRET_PARAMS:
            continue
        value = redact(value) if isinstance(value, str) else value
        if name in out:
            out[name] = [*out[name], value] if isinstance(out[name], list) else [out[name], value]
        else:
            out[name] = value
    return out


def write_atomically(path: Path, content: bytes) -> None:
    """Write `content` to `path` through a temporary file and a rename."""
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(temp, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as error:
        raise PipelineError(f"Could not save {path.name} in the raw cache {path.parent} "
                            f"({disk_reason(error)}); free some space or set ATLAS_DATA_DIR to "
                            "a writable folder.") from None
    finally:
        try:
            temp.unlink(missing_ok=True)
        except OSError:
            pass


class RawCache:
    """The raw files of one city, by source (`businesses`, `acs`, `lodes`, …)."""

    def __init__(self, root: Path, city: str, clock: Callable[[], datetime] = utc_now):
        self.root = Path(root)
        self.city = _checked_name(city, "city")
        self.clock = clock

    def path(self, source: str) -> Path:
        return self.root / self.city / _checked_name(source, "source")

    def write(self, source: str, filename: str, content: bytes, url: str, params: Any,
              rows: int | None) -> Path:
        """Store one fetched file and record it in the source's manifest; returns its path."""
        folder = self.path(source)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise PipelineError(f"Could not make the raw cache folder {folder} "
                                f"({disk_reason(error)}); set ATLAS_DATA_DIR to a writable "
                                "folder.") from None
        target = folder / _checked_name(filename, "file name")
        write_atomically(target, content)
        entry = {"file": target.name, "url": redact(url).split("?")[0],
                 "params": public_params(params), "fetched_at": iso_utc(self.clock()),
                 "sha256": sha256_of(content), "rows": rows, "bytes": len(content)}
        entries = self.entries(source)
        names = [e["file"] for e in entries]
        if target.name in names:   # fetched again: same place, new facts
            entries[names.index(target.name)] = entry
        else:
            entries.append(entry)
        self._write_manifest(source, entries)
        return target

    def entries(self, source: str) -> list[dict]:
        """The manifest entries of `source` in fetch order ([] when nothing is cached)."""
        manifest = self.path(source) / MANIFEST
        if not manifest.is_file():
            return []
        try:
            return list(json.loads(manifest.read_text(encoding="utf-8"))["entries"])
        except (ValueError, KeyError, TypeError):
            raise PipelineError(f"The cache manifest {manifest} is damaged; delete the folder "
                                f"{manifest.parent} and build again with network access.") from None

    def files(self, source: str) -> list[Path]:
        return [self.path(source) / entry["file"] for entry in self.entries(source)]

    def has(self, source: str) -> bool:
        """True when the manifest lists at least one file and every listed file exists."""
        files = self.files(source)
        return bool(files) and all(f.is_file() for f in files)

    def fetched_at(self, source: str) -> datetime | None:
        """When `source` was last fetched (the newest entry), or None."""
        stamps = [datetime.strptime(e["fetched_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
                  for e in self.entries(source)]
        return max(stamps) if stamps else None

    def age(self, source: str) -> timedelta | None:
        """Time since `source` was last fetched, or None when nothing is cached."""
        last = self.fetched_at(source)
        return None if last is None else self.clock() - last

    def is_stale(self, source: str, max_age: timedelta) -> bool:
        """True when nothing usable is cached or the last fetch is older than `max_age`."""
        age = self.age(source)
        return not self.has(source) or age is None or age > max_age

    def require(self, source: str, how_to_get: str | None = None) -> list[Path]:
        """The cached files of `source`; a PipelineError saying how to get them when missing."""
        if not self.has(source):
            how = how_to_get or (f"run `python -m data_pipeline build --city {self.city}` "
                                 "with network access first")
            raise PipelineError(f"No cached {source} for {self.city} in {self.path(source)}; {how}.")
        return self.files(source)

    def verify(self, source: str) -> None:
        """Re-check every file of `source` against its recorded sha256."""
        for entry in self.entries(source):
            path = self.path(source) / entry["file"]
            if not path.is_file():
                raise PipelineError(f"The cached file {path} is missing; delete {path.parent} and "
                                    "build again with network access.")
            if sha256_of(path.read_bytes()) != entry["sha256"]:
                raise PipelineError(f"The cached file {path} does not match its recorded sha256 "
                                    f"(it was changed or damaged); delete {path.parent} and build "
                                    "again with network access.")

    def clear(self, source: str) -> None:
        shutil.rmtree(self.path(source), ignore_errors=True)

    def kept(self, source: str, filename: str) -> dict | None:
        """The manifest entry of a file already in `source`, if the file is there and intact."""
        for entry in self.entries(source):
            if entry["file"] != filename:
                continue
            path = self.path(source) / filename
            if path.is_file() and sha256_of(path.read_bytes()) == entry["sha256"]:
                return entry
        return None

    @contextmanager
    def replacing(self, source: str, resume: bool = False) -> Iterator[str]:
        """Write a fresh set of files for `source` aside; swap it in only if the block succeeds.

        Yields the name to pass to `write`. A fetch that fails half-way keeps the old set.
        With `resume`, files that an interrupted fetch (killed, or failed) set aside less
        than `RESUME_WINDOW` ago are kept, so the fetch can skip them (see `kept`).
        """
        partial = f"{source}.partial"
        if not (resume and self._recent(partial)):
            self.clear(partial)
        try:
            yield partial
        except BaseException:
            if not resume:
                self.clear(partial)
            raise
        self._swap(partial, source)

    def _recent(self, source: str) -> bool:
        try:
            entries = self.entries(source)
            stamps = [datetime.strptime(e["fetched_at"], "%Y-%m-%dT%H:%M:%SZ") for e in entries]
        except (PipelineError, KeyError, TypeError, ValueError):
            return False
        oldest = min(stamps, default=None)
        return oldest is not None and \
            self.clock() - oldest.replace(tzinfo=timezone.utc) <= RESUME_WINDOW

    def _swap(self, partial: str, source: str) -> None:
        new, current, old = self.path(partial), self.path(source), self.path(f"{source}.old")
        new.mkdir(parents=True, exist_ok=True)
        self.clear(f"{source}.old")
        if current.exists():
            os.replace(current, old)
        os.replace(new, current)
        self.clear(f"{source}.old")

    def _write_manifest(self, source: str, entries: list[dict]) -> None:
        manifest = {"city": self.city, "entries": entries}
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        write_atomically(self.path(source) / MANIFEST, text.encode("utf-8"))


def _checked_name(name: str, what: str) -> str:
    if not SAFE_NAME.match(name or "") or name == MANIFEST:
        raise PipelineError(f"{name!r} cannot be used as a {what} in the raw cache; use letters, "
                            "digits, '.', '_' and '-' only.")
    return name
