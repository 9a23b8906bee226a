"""Size change versus the published load of a dataset: a file that suddenly holds far fewer rows
is truncated or mis-filtered more often than the country lost communes (the "row count dropped
more than 15 %" rule of production data platforms), applied year by year: if no year lost more
than the allowed share, neither did the total. The share is ``size_change.max_drop`` in
config/plausibility.yml."""

from __future__ import annotations

from dataclasses import dataclass

@dataclass(frozen=True)
class YearlySizeChange:
    """The same rule year by year: a load may add years and grow, but no year it holds may lose
    more than ``max_drop`` of the rows the previous load of that year had (a year that vanished
    counts as 0 rows). Catches a truncated year that a growing total would hide."""

    dataset: str
    rows: dict[str, int]  # year -> rows now, for the years this load covers
    previous: dict[str, int]  # year -> rows in the published load of that year
    max_drop: float
    against: str | None = None  # what ``previous`` is, e.g. "release 20251201T...": named in messages

    @property
    def compared(self) -> tuple[str, ...]:
        return tuple(sorted(y for y in self.rows if self.previous.get(y)))

    @property
    def drops(self) -> tuple[tuple[str, int, int], ...]:
        """(year, rows now, rows before) for each year that lost too much."""
        return tuple(
            (y, self.rows[y], self.previous[y])
            for y in self.compared
            if self.rows[y] < (1 - self.max_drop) * self.previous[y]
        )

    @property
    def passed(self) -> bool:
        return not self.drops

    def message(self) -> str:
        total = sum(self.rows.values())
        against = f"the published load ({self.against})" if self.against else "the published load"
        if not self.compared:
            return f"dataset {self.dataset}: {total} rows; no published load of these years to compare with"
        if self.passed:
            return (
                f"dataset {self.dataset}: {total} rows; {len(self.compared)} year(s) compared with {against}, "
                f"none lost more than {self.max_drop:.0%}"
            )
        lost = "; ".join(
            f"{year}: {now} rows against {before} ({(now - before) / before:+.1%})" for year, now, before in self.drops
        )
        return (
            f"dataset {self.dataset}: a drop of more than {self.max_drop:.0%} in {len(self.drops)} year(s) against "
            f"{against}, truncated or mis-filtered input? {lost}"
        )


def yearly_size_change(
    dataset: str,
    rows: dict[str, int],
    previous: dict[str, int],
    *,
    max_drop: float,
    years: tuple[str, ...] | None = None,
    against: str | None = None,
) -> YearlySizeChange:
    """Compare ``rows`` per year with ``previous`` (the published load, ``against`` naming it).
    ``years`` limits the comparison to some years; by default every year now or before, so a
    year the published load had and this one lacks counts as a drop to 0."""
    covered = years if years is not None else tuple(sorted(set(rows) | set(previous)))
    return YearlySizeChange(dataset, {y: int(rows.get(y, 0)) for y in covered}, dict(previous), max_drop, against)
