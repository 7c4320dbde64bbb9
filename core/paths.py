"""Where things live on disk: one place, overridable by the environment."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """`ATLAS_DATA_DIR` if set, else the project's `data/` folder."""
    return Path(os.environ.get("ATLAS_DATA_DIR", PROJECT_ROOT / "data"))


def database_path(city_slug: str) -> Path:
    return data_dir() / f"{city_slug}.duckdb"


def raw_cache_dir() -> Path:
    return data_dir() / "raw"


def cities_dir() -> Path:
    return PROJECT_ROOT / "data" / "cities"


DEMO_SLUG = "demo"
