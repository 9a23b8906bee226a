"""`fund_release_diff`: what changed for each commune since the previous release, and why.

The change in each commune's payment is split in two (METHOD.md section 5):
- the data change: the previous rules applied to the new data, minus the previous release;
- the rule or method change: the new release minus that counterfactual.
When the rules are unchanged the whole change is a data change. The counterfactual needs the
previous rules file, which every release keeps in its ``config/`` folder; the methodology is not
re-run with its previous version, so a methodology change counts in the rule-or-method part.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

DIFF_COLUMNS = (
    "nis_code", "year", "previous_release_id", "eligible_before", "eligible_after", "paid_before_cents",
    "paid_after_cents", "change_cents", "data_change_cents", "rule_or_method_change_cents", "change", "cause",
)


def _previous(published: Path) -> tuple[pd.DataFrame, dict[str, str]] | None:
    if not published.exists():
        return None
    with duckdb.connect(str(published), read_only=True) as con:
        tables = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
        if "fund_transitions" not in tables:
            return None
        frame = con.execute("select nis_code, year, eligible, paid_cents from fund_transitions").df()
        release = con.execute("select * from _release").df().iloc[0].astype(str).to_dict()
    return frame, release


def _counterfactual_paid(previous_rules: Path, warehouse: Path) -> pd.DataFrame:
    """Payments under the previous rules on the new data (the what-if machinery, read-only)."""
    from publish.whatif import run_whatif

    result = run_whatif(previous_rules, warehouse)
    after = result.comparison[["nis_code", "year", "after_cents"]]
    return after.rename(columns={"after_cents": "counterfactual_cents"})


def diff_summary(diff: pd.DataFrame) -> str:
    """One line for `_release.fund_diff_summary`: a reader must tell "nothing moved" from "nothing
    compared"."""
    if diff.attrs.get("previous_release_id") is None:
        return "first release: no previous release to compare with"
    previous = diff.attrs["previous_release_id"]
    if diff.empty:
        return f"no change since release {previous}"
    communes = diff["nis_code"].nunique()
    return f"{len(diff)} commune-year(s) of {communes} commune(s) changed since release {previous}"


def fund_release_diff(
    *, warehouse: Path, published: Path, releases_dir: Path, rules_version: str, methodology_version: str
) -> pd.DataFrame:
    """The diff (``DIFF_COLUMNS``); ``attrs["previous_release_id"]`` names the release compared
    with, None when there is none."""
    previous = _previous(published)
    if previous is None:
        empty = pd.DataFrame({c: pd.Series(dtype="object") for c in DIFF_COLUMNS})
        empty.attrs["previous_release_id"] = None
        return empty
    before, release = previous
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = con.execute("select nis_code, year, eligible, paid_cents from published.fund_transitions").df()
    frame = before.merge(after, on=["nis_code", "year"], how="outer", suffixes=("_before", "_after"))
    frame["paid_before_cents"] = frame.pop("paid_cents_before").fillna(0).astype("int64")
    frame["paid_after_cents"] = frame.pop("paid_cents_after").fillna(0).astype("int64")
    frame["change_cents"] = frame["paid_after_cents"] - frame["paid_before_cents"]
    same_rules = release.get("rules_version") == rules_version
    same_method = release.get("methodology_version") == methodology_version
    if same_rules and same_method:
        frame["data_change_cents"] = frame["change_cents"]
        cause = "data"
    else:
        snapshot = releases_dir / release["release_id"] / "config" / "fund_rules.yml"
        if not same_rules and snapshot.exists() and same_method:
            counterfactual = _counterfactual_paid(snapshot, warehouse)
            frame = frame.merge(counterfactual, on=["nis_code", "year"], how="left")
            cf = frame.pop("counterfactual_cents").fillna(0).astype("int64")
            frame["data_change_cents"] = cf - frame["paid_before_cents"]
            cause = "data and rules (split)"
        else:
            # Without the previous rules, or with a new methodology, the change is not split.
            frame["data_change_cents"] = pd.NA
            cause = "rules or method changed (not split)"
    frame["rule_or_method_change_cents"] = frame["change_cents"] - frame["data_change_cents"].fillna(frame["change_cents"])
    if cause.startswith("rules or method"):
        frame["rule_or_method_change_cents"] = frame["change_cents"]
    frame["change"] = np.select(
        [
            frame["eligible_after"].fillna(False).astype(bool) & ~frame["eligible_before"].fillna(False).astype(bool),
            ~frame["eligible_after"].fillna(False).astype(bool) & frame["eligible_before"].fillna(False).astype(bool),
            frame["change_cents"] > 0,
            frame["change_cents"] < 0,
        ],
        ["entered", "left", "increased", "decreased"],
        default="unchanged",
    )
    frame["cause"] = cause
    frame["previous_release_id"] = release["release_id"]
    # A commune is listed when its payment or eligibility changed, or when new data and new rules
    # moved it in opposite directions that happen to cancel out.
    changed = frame[(frame["change"] != "unchanged") | frame["data_change_cents"].fillna(0).ne(0)]
    out = changed.reindex(columns=list(DIFF_COLUMNS)).sort_values(["year", "nis_code"]).reset_index(drop=True)
    out.attrs["previous_release_id"] = release["release_id"]
    return out
