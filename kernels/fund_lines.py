"""Split each commune's amount into budget lines, exact to the cent both ways.

Method (METHOD.md section 4, "Budget lines"):

1. Line budgets: the year's total is split by the national shares of the rules, by largest
   remainder, so the line budgets are whole cents adding up to the total.
2. Real split: a communes x lines table whose rows add up to each commune's amount and whose
   columns add up to each line budget, as close as possible to the communes' needs drivers
   (children 3-17 for schools, children 0-2 for creches, ...). It is found by iterative
   proportional fitting (biproportional scaling) of the drivers table: within a line, communes
   share in proportion to their driver, times one factor per commune that makes its lines add
   up to its amount. That is the table closest to the drivers (in the Kullback-Leibler sense)
   with both totals right.
3. Whole cents: each cell takes the whole part of its real amount, and the cents still missing
   in each row and column go to the cells with the largest fractional parts that satisfy both
   totals at once (a small integer programme; always feasible, because the real table is one
   of its fractional solutions, and its constraint matrix is totally unimodular).

So every commune's lines add up to its allocation to the cent, and every line adds up to its
national share of the total to the cent (up to the one cent of step 1's rounding).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from kernels.fund_allocation import largest_remainder_shares
from kernels.fund_frames import (
    FundAllocationError,
    FundInputError,
    require_columns,
    require_unique,
)
from kernels.fund_rules import FundRules

_MAX_ROUNDS = 10_000


def split_budget_lines(
    amounts: pd.DataFrame, needs_profile: pd.DataFrame, rules: FundRules
) -> pd.DataFrame:
    """One row per commune and budget line: ``nis_code``, ``budget_line``, ``needs_driver``,
    ``amount_cents`` (int64).

    ``amounts`` holds ``nis_code`` and ``amount_cents`` (whole cents >= 0, one year); the
    ``needs_profile`` holds ``nis_code`` and one column per needs driver named in the rules.
    """
    require_columns(amounts, ("nis_code", "amount_cents"), "split_budget_lines amounts")
    require_unique(amounts, ["nis_code"], "split_budget_lines amounts")
    lines = rules.budget_lines
    drivers = list(dict.fromkeys(line.needs_driver for line in lines))
    require_columns(needs_profile, ("nis_code", *drivers), "split_budget_lines needs_profile")
    require_unique(needs_profile, ["nis_code"], "split_budget_lines needs_profile")

    cents = pd.to_numeric(amounts["amount_cents"], errors="coerce")
    bad = cents.isna() | (cents < 0) | (cents != np.floor(cents))
    if bad.any():
        row = amounts.loc[bad].iloc[0]
        raise FundInputError(
            f"split_budget_lines amounts: amount_cents must be whole cents >= 0; commune "
            f"{row['nis_code']} has {row['amount_cents']}"
        )
    frame = amounts[["nis_code"]].assign(amount_cents=cents.astype("int64")).merge(
        needs_profile[["nis_code", *drivers]], on="nis_code", how="left", indicator=True
    )
    absent = frame.loc[frame["_merge"] == "left_only", "nis_code"].tolist()
    if absent:
        raise FundInputError(
            f"split_budget_lines needs_profile: no needs profile for {len(absent)} commune(s) "
            f"with an amount, e.g. {', '.join(map(str, absent[:5]))}"
        )
    row_totals = frame["amount_cents"].to_numpy(dtype="int64")
    line_totals = np.array(
        largest_remainder_shares(int(row_totals.sum()), [line.national_share for line in lines]),
        dtype="int64",
    )
    if len(frame) == 0:
        whole = np.zeros((0, len(lines)), dtype="int64")
    else:
        table = _drivers_table(frame, row_totals, line_totals, rules)
        real = fit_margins(table, row_totals.astype("float64"), line_totals.astype("float64"), rules)
        whole = round_table(real, row_totals, line_totals, rules)
    n, k = whole.shape
    return pd.DataFrame(
        {
            "nis_code": np.repeat(frame["nis_code"].to_numpy(), k),
            "budget_line": np.tile([line.name for line in lines], n),
            "needs_driver": np.tile([line.needs_driver for line in lines], n),
            "amount_cents": whole.reshape(-1),
        }
    )


def fit_margins(
    table: np.ndarray, row_totals: np.ndarray, column_totals: np.ndarray, rules: FundRules
) -> np.ndarray:
    """Scale the rows and columns of a non-negative table until its margins are the totals."""
    row_factor = np.zeros(table.shape[0])
    column_factor = np.ones(table.shape[1])
    tolerance = 1e-4 + 1e-12 * float(row_totals.sum())
    for _ in range(_MAX_ROUNDS):
        row_sums = table @ column_factor
        np.divide(row_totals, row_sums, out=row_factor, where=row_sums > 0)
        column_sums = table.T @ row_factor
        column_factor = np.divide(
            column_totals, column_sums, out=np.zeros_like(column_factor), where=column_sums > 0
        )
        fitted = row_factor[:, None] * table * column_factor[None, :]
        if np.max(np.abs(fitted.sum(axis=1) - row_totals)) <= tolerance:
            return fitted
    raise FundAllocationError(
        "budget_lines",
        "the national line shares cannot be met together with every commune's amount given the "
        "communes' needs drivers (too many zero drivers); review the needs profile or the shares",
        source=rules.source,
    )


def round_table(
    real: np.ndarray, row_totals: np.ndarray, column_totals: np.ndarray, rules: FundRules
) -> np.ndarray:
    """Whole cents, each cell rounded down or up, with exact row and column totals."""
    whole = np.floor(real).astype("int64")
    fraction = real - whole
    row_short = row_totals - whole.sum(axis=1)
    column_short = column_totals - whole.sum(axis=0)
    if row_short.sum() == 0:
        return whole
    cells = np.argwhere(real > 0)
    count = len(cells)
    rows = np.unique(cells[:, 0])
    columns = np.unique(cells[:, 1])
    row_pos = {r: i for i, r in enumerate(rows)}
    column_pos = {c: len(rows) + i for i, c in enumerate(columns)}
    constraint_rows = [row_pos[r] for r in cells[:, 0]] + [column_pos[c] for c in cells[:, 1]]
    matrix = sparse.csr_matrix(
        (np.ones(2 * count), (constraint_rows, np.concatenate([np.arange(count)] * 2))),
        shape=(len(rows) + len(columns), count),
    )
    target = np.concatenate([row_short[rows], column_short[columns]]).astype("float64")
    if (row_short[np.setdiff1d(np.arange(len(row_totals)), rows)] != 0).any() or (
        column_short[np.setdiff1d(np.arange(len(column_totals)), columns)] != 0
    ).any():
        raise FundAllocationError(
            "budget_lines", "a commune or line has an amount but no cell to hold it", source=rules.source
        )
    result = milp(
        c=-fraction[cells[:, 0], cells[:, 1]],
        constraints=LinearConstraint(matrix, target, target),
        integrality=np.ones(count),
        bounds=Bounds(0, 1),
    )
    if result.status != 0 or result.x is None:
        raise FundAllocationError(
            "budget_lines",
            f"could not round the line split to whole cents ({result.message})",
            source=rules.source,
        )
    whole[cells[:, 0], cells[:, 1]] += np.rint(result.x).astype("int64")
    return whole


def _drivers_table(
    frame: pd.DataFrame, row_totals: np.ndarray, line_totals: np.ndarray, rules: FundRules
) -> np.ndarray:
    """Communes x lines table of needs drivers, zero where a commune or a line has no money."""
    table = np.column_stack(
        [
            pd.to_numeric(frame[line.needs_driver], errors="coerce").to_numpy(dtype="float64")
            for line in rules.budget_lines
        ]
    )
    codes = frame["nis_code"].tolist()
    funded = row_totals > 0
    for j, line in enumerate(rules.budget_lines):
        column = table[:, j]
        bad = funded & ~(np.isfinite(column) & (column >= 0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise FundInputError(
                f"split_budget_lines needs_profile: column {line.needs_driver!r} must hold finite "
                f"numbers >= 0; commune {codes[i]} has {column[i]}"
            )
        if line_totals[j] > 0 and not (column[funded] > 0).any():
            raise FundInputError(
                f"split_budget_lines needs_profile: line {line.name!r} has a budget but every "
                f"commune in the fund has {line.needs_driver} = 0"
            )
    table[~funded] = 0.0
    table[:, line_totals == 0] = 0.0
    empty = funded & ~(table > 0).any(axis=1)
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise FundInputError(
            f"split_budget_lines needs_profile: commune {codes[i]} has an amount but every needs "
            f"driver of a funded line is 0 ({', '.join(line.needs_driver for line in rules.budget_lines)})"
        )
    return table
