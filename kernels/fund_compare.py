"""Compare two allocations: who entered, who left, and how each amount changed.

Used by what-if runs (published rules against alternative rules) and by release diffs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kernels.fund_frames import require_columns

CHANGES: tuple[str, ...] = ("entered", "left", "increased", "decreased", "unchanged")


def compare_allocations(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """One row per commune (per year when both frames have ``year``) that receives money in
    either allocation.

    Both frames hold ``nis_code`` and ``amount_cents`` (several rows per commune, for example
    one per budget line, are added up). Returns the key, ``before_cents``, ``after_cents``,
    ``change_cents``, ``change_pct`` (NaN when there was nothing before) and ``change``: entered
    (nothing before), left (nothing after), increased, decreased or unchanged.
    """
    require_columns(before, ("nis_code", "amount_cents"), "compare_allocations before")
    require_columns(after, ("nis_code", "amount_cents"), "compare_allocations after")
    keys = ["year", "nis_code"] if "year" in before.columns and "year" in after.columns else ["nis_code"]
    totals = [
        frame.groupby(keys, as_index=False)["amount_cents"].sum().rename(columns={"amount_cents": name})
        for frame, name in ((before, "before_cents"), (after, "after_cents"))
    ]
    frame = totals[0].merge(totals[1], on=keys, how="outer")
    frame[["before_cents", "after_cents"]] = frame[["before_cents", "after_cents"]].fillna(0).astype("int64")
    frame = frame.loc[(frame["before_cents"] > 0) | (frame["after_cents"] > 0)].copy()
    frame["change_cents"] = frame["after_cents"] - frame["before_cents"]
    frame["change_pct"] = np.where(
        frame["before_cents"] > 0,
        100.0 * frame["change_cents"] / frame["before_cents"].where(frame["before_cents"] > 0, 1),
        np.nan,
    )
    frame["change"] = np.select(
        [
            frame["before_cents"] == 0,
            frame["after_cents"] == 0,
            frame["change_cents"] > 0,
            frame["change_cents"] < 0,
        ],
        ["entered", "left", "increased", "decreased"],
        default="unchanged",
    )
    return frame.sort_values(keys, ignore_index=True)
