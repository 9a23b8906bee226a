"""`cohesion explain CODE`: a commune's index and its place in the fund, in sentences, from the
published release (read-only). The sentences are built in publish/explain_text.py, so that the
site's commune pages say exactly the same. No Dagster here."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingestion.errors import CohesionError
from publish.explain_text import LANGS, explanation_lines

__all__ = ["LANGS", "explain"]


def explain(published: Path, code: str, *, year: int | None = None, lang: str = "fr") -> list[str]:
    """The lines `cohesion explain` prints."""
    if not published.exists():
        raise CohesionError(f"no published release at {published}: run `make run` first")
    with duckdb.connect(str(published), read_only=True) as con:
        return explanation_lines(con, code, year=year, lang=lang)
