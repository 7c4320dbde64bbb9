"""Build the demo city's database."""
from __future__ import annotations

from pathlib import Path

from .load import Step, write_database
from .sources import demo


def build_demo(db: Path | str, seed: int = 42, on_step: Step | None = None,
               suppression_threshold: int = 0) -> Path:
    """Generate the synthetic demo city for `seed` and load it atomically into `db`."""
    step = on_step or (lambda message: None)
    step(f"generating the demo city (seed {seed})")
    data = demo.generate(seed=seed)
    return write_database(data, db, on_step=step, suppression_threshold=suppression_threshold)
