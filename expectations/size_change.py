"""Size change versus the previous load of a dataset: a file that suddenly holds far fewer rows
is truncated or mis-filtered more often than the country lost communes (the "row count dropped
more than 15 %" rule of production data platforms)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_DROP = 0.15


@dataclass(frozen=True)
class SizeChange:
    dataset: str
    rows: int
    previous_rows: int | None
    passed: bool

    def message(self) -> str:
        if self.previous_rows is None:
            return f"dataset {self.dataset}: {self.rows} rows; no previous load to compare with"
        change = (self.rows - self.previous_rows) / self.previous_rows if self.previous_rows else 0.0
        verdict = "within bounds" if self.passed else f"a drop of more than {MAX_DROP:.0%}: truncated or mis-filtered input?"
        return f"dataset {self.dataset}: {self.rows} rows against {self.previous_rows} in the previous load ({change:+.1%}), {verdict}"


def size_change(dataset: str, rows: int, previous_rows: int | None, max_drop: float = MAX_DROP) -> SizeChange:
    passed = previous_rows is None or previous_rows == 0 or rows >= (1 - max_drop) * previous_rows
    return SizeChange(dataset, rows, previous_rows, passed)
