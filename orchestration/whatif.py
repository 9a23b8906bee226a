"""`cohesion whatif RULES.yml`: the fund under another rules file, against the current warehouse.

Reads the working database read-only (the indicators, the index and the current fund), applies
the alternative rules with the same kernel the pipeline uses, and writes a comparison (XLSX and
CSV). It never writes to the warehouse and never touches the published release.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from ingestion.errors import CohesionError
from orchestration.committee import write_workbook

_INPUTS = {
    "indicators": "select * from indicators.indicators_commune_indicators",
    "communes": "select * from staging.stg_reference__communes",
    "population": "select * from index.index_inputs",
    "index": "select * from index.index_cohesion",
    "regional": "select * from index.index_regional",
    "needs": "select * from fund.fund_needs_profile",
    "current_years": "select * from fund.fund_years",
    "current_eligibility": "select * from fund.fund_eligibility_calc",
}


@dataclass(frozen=True)
class WhatIf:
    rules_version: str
    current_rules_version: str
    years: tuple[int, ...]
    comparison: pd.DataFrame  # commune x year: before, after, change
    eligibility: pd.DataFrame  # the alternative rules' eligibility
    entered: pd.DataFrame
    left: pd.DataFrame

    def summary(self, top: int = 5) -> list[str]:
        lines = [
            f"what-if rules {self.rules_version} against current rules {self.current_rules_version}, "
            f"years {', '.join(map(str, self.years))}",
            f"commune-years newly eligible: {len(self.entered)} ({self.entered['nis_code'].nunique() if len(self.entered) else 0} communes); no longer eligible: {len(self.left)}",
        ]
        for label, frame in (("in", self.entered), ("out", self.left)):
            if len(frame):
                names = ", ".join(f"{r.commune_fr} ({r.year})" for r in frame.head(top).itertuples())
                lines.append(f"  {label}: {names}{' ...' if len(frame) > top else ''}")
        moved = self.comparison.sort_values("change_cents")
        for label, rows in (("largest gains", moved.tail(top).iloc[::-1]), ("largest losses", moved.head(top))):
            rows = rows[rows["change_cents"] > 0] if label == "largest gains" else rows[rows["change_cents"] < 0]
            if len(rows):
                lines.append(f"{label}:")
                lines.extend(
                    f"  {r.commune_fr} {r.year}: {r.before_cents / 100:,.2f} -> {r.after_cents / 100:,.2f} EUR "
                    f"({r.change_cents / 100:+,.2f})"
                    for r in rows.itertuples()
                )
        return lines


def read_inputs(warehouse: Path) -> dict[str, pd.DataFrame]:
    if not warehouse.exists():
        raise CohesionError(f"no working database at {warehouse}: run `make run` (or `cohesion run`) first")
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return {name: con.execute(sql).df() for name, sql in _INPUTS.items()}
    except duckdb.IOException as exc:
        raise CohesionError(f"the working database {warehouse} is being written by a run; try again when it ends ({exc})") from exc
    except duckdb.CatalogException as exc:
        raise CohesionError(f"the working database {warehouse} has no fund tables yet: run the pipeline first ({exc})") from exc


def run_whatif(rules_path: Path, warehouse: Path, *, year: int | None = None) -> WhatIf:
    from cohesion_kernels import fund
    from cohesion_kernels import warehouse as kernels

    data = read_inputs(warehouse)
    known = set(data["indicators"]["indicator"].unique())
    try:
        rules = kernels.fund_rules(rules_path, known_indicators=known)
    except fund.FundRulesError as exc:
        raise CohesionError(str(exc)) from exc
    m = kernels.methodology()
    # The alternative rules may change the scope: which years can be computed, and which index
    # ranks the communes, follow from them exactly as in the pipeline.
    plan, index_scope = kernels.fund_plan(data["indicators"], data["communes"], data["index"], data["regional"], rules, m)
    years = [int(y) for y in plan.loc[plan["computed"], "year"]]
    if not years:
        first = plan.loc[plan["reason"].notna(), ["year", "reason"]].head(1)
        why = f" (e.g. {int(first['year'].iloc[0])}: {first['reason'].iloc[0]})" if len(first) else ""
        raise CohesionError(f"under the rules {rules_path} the fund cannot be computed for any year{why}")
    index = kernels.fund_index(data["index"], data["regional"], index_scope)
    inputs = kernels.index_inputs(data["indicators"], data["communes"], data["population"], m, scope=index_scope)
    draws = kernels.run_draws(inputs, m)
    eligibility = kernels.fund_eligibility(data["indicators"], data["communes"], index, draws, rules, years=years)
    after = kernels.fund_years(eligibility, index, data["population"], rules)
    before = data["current_years"]
    if year is not None:
        if year not in set(after["year"]):
            raise CohesionError(f"year {year} is not in the warehouse (years: {sorted(set(after['year']))})")
        after, before, eligibility = (f[f["year"] == year] for f in (after, before, eligibility))
    # Compare what is paid (formula grant or exit guarantee), not the formula alone.
    comparison = fund.compare_allocations(
        before[["year", "nis_code", "paid_cents"]].rename(columns={"paid_cents": "amount_cents"}),
        after[["year", "nis_code", "paid_cents"]].rename(columns={"paid_cents": "amount_cents"}),
    )
    names = data["communes"][["nis_code", "name_fr", "name_nl"]].rename(columns={"name_fr": "commune_fr", "name_nl": "commune_nl"})
    comparison = names.merge(comparison, on="nis_code", how="right").sort_values(["year", "nis_code"])
    was = data["current_eligibility"][["nis_code", "year", "eligible"]].rename(columns={"eligible": "eligible_before"})
    flips = eligibility[["nis_code", "year", "eligible"]].merge(was, on=["nis_code", "year"]).merge(names, on="nis_code")
    current_version = str(data["current_years"]["rules_version"].iloc[0]) if len(data["current_years"]) else "none"
    return WhatIf(
        rules_version=rules.version,
        current_rules_version=current_version,
        years=tuple(sorted(int(y) for y in set(after["year"]))),
        comparison=comparison.reset_index(drop=True),
        eligibility=eligibility.assign(rules_version=rules.version),
        entered=flips[flips["eligible"] & ~flips["eligible_before"]].sort_values(["year", "nis_code"]),
        left=flips[~flips["eligible"] & flips["eligible_before"]].sort_values(["year", "nis_code"]),
    )


def write_whatif(result: WhatIf, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    comparison = result.comparison.rename(columns={"before_cents": "before_cents", "after_cents": "after_cents"})
    eligibility = result.eligibility[
        ["nis_code", "year", "gate_a_value", "gate_a_threshold", "gate_a_pass", "gate_b_value", "gate_b_threshold",
         "gate_b_pass", "eligible", "eligibility_probability", "reason_fr", "reason_en", "rules_version"]
    ].rename(columns={"reason_en": "reason"})
    comparison.to_csv(out_dir / "whatif_comparison.csv", index=False)
    eligibility.to_csv(out_dir / "whatif_eligibility.csv", index=False)
    cover = [
        ("Règles testées", "Geteste regels", result.rules_version),
        ("Règles en vigueur", "Geldende regels", result.current_rules_version),
        ("Années", "Jaren", ", ".join(map(str, result.years))),
        ("Communes entrantes", "Instromende gemeenten", str(len(result.entered))),
        ("Communes sortantes", "Uitstromende gemeenten", str(len(result.left))),
        ("Simulation : ne modifie pas la publication", "Simulatie: wijzigt de publicatie niet", ""),
    ]
    return write_workbook(
        out_dir / "whatif.xlsx", {"whatif_comparison": comparison, "fund_eligibility": eligibility}, cover
    )
