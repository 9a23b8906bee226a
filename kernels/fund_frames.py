"""Input checks shared by the fund kernels: the frames they receive come from the working database
(the fund stage) or a what-if run, and a wrong frame must fail with the table, the column and the commune at fault."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from kernels.fund_rules import FundRulesError


class FundInputError(ValueError):
    """A frame given to a fund kernel lacks a column or holds a value the kernel cannot use."""


class FundAllocationError(FundRulesError):
    """The rules cannot be applied to this year's communes (for example floor x count > budget).

    A subclass of FundRulesError: the remedy is a change of rules (or of budget), and the key
    names the rule to change."""


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FundInputError(
            f"{what}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}"
        )


def require_unique(frame: pd.DataFrame, keys: list[str], what: str) -> None:
    duplicated = frame.duplicated(keys, keep=False)
    if duplicated.any():
        first = frame.loc[duplicated, keys].iloc[0].to_dict()
        raise FundInputError(
            f"{what}: {int(duplicated.sum())} rows share a key ({', '.join(keys)}), "
            f"for example {first}; expected one row per key"
        )


def require_finite(frame: pd.DataFrame, column: str, what: str, *, minimum: float | None = None,
                   strictly: bool = False) -> None:
    """Every value of ``column`` is a finite number (and above ``minimum`` when given)."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(values)
    if minimum is not None:
        bad |= values <= minimum if strictly else values < minimum
    if bad.any():
        row = frame.iloc[int(np.flatnonzero(bad)[0])]
        code = row.get("nis_code", "?")
        found = row[column]
        found = repr(found) if isinstance(found, str) else str(found)
        bound = "" if minimum is None else f" {'>' if strictly else '>='} {minimum:g}"
        raise FundInputError(
            f"{what}: column {column!r} must hold finite numbers{bound}; "
            f"commune {code} has {found} ({int(bad.sum())} row(s) affected)"
        )
