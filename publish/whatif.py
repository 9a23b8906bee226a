"""`cohesion whatif RULES.yml`: the fund under another rules file, against the current warehouse.

Reads the working database read-only (the indicators, the index and the current fund), applies
the alternative rules with the same kernel the pipeline uses, and writes a comparison (XLSX and
CSV): totals per year, every commune-year and every budget line that changes, and the rules that
differ. It never writes to the warehouse and never touches the published release.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import yaml

from ingestion.errors import CohesionError
from ingestion.settings import methodology_file
from publish.committee import Cover, for_reading, write_csv, write_workbook

_INPUTS = {
    "indicators": "select * from indicators.indicators_commune_indicators",
    "communes": "select * from staging.stg_reference__communes",
    "population": "select * from index.index_inputs",
    "index": "select * from index.index_cohesion",
    "regional": "select * from index.index_regional",
    "draws": "select * from index.index_draws",
    "needs": "select * from fund.fund_needs_profile",
    "current_years": "select * from fund.fund_years",
    "current_lines": "select * from fund.fund_lines",
    "current_eligibility": "select * from fund.fund_eligibility_calc",
    "sources": "select dataset, origin from raw.source_files",
    "labels": "select * from reference.value_labels",
}
SYNTHETIC_WARNING = "the warehouse holds the synthetic sample: these amounts are not statistics"


@dataclass(frozen=True)
class WhatIf:
    rules_version: str
    current_rules_version: str
    years: tuple[int, ...]
    totals: pd.DataFrame  # year: budget, paid, communes paid and eligible, before and after
    comparison: pd.DataFrame  # commune x year that changes: paid, status and eligibility before and after
    lines: pd.DataFrame  # commune x year x budget line that changes
    rules_diff: pd.DataFrame  # key, before, after
    eligibility: pd.DataFrame  # the alternative rules' eligibility
    warnings: tuple[str, ...]
    labels: pd.DataFrame

    @property
    def entered(self) -> pd.DataFrame:
        """Commune-years eligible under the tested rules and not under the current ones."""
        return self.comparison[self.comparison["eligible_after"] & ~self.comparison["eligible_before"]]

    @property
    def left(self) -> pd.DataFrame:
        """Commune-years eligible under the current rules and not under the tested ones."""
        return self.comparison[~self.comparison["eligible_after"] & self.comparison["eligible_before"]]

    def counts(self) -> list[tuple[str, str, str, str]]:
        """(label EN, label FR, label NL, value): the same figures in the console, on the cover and
        in the comparison sheet (filter its eligibility columns to find them)."""
        def figure(frame: pd.DataFrame) -> str:
            return f"{len(frame)} commune-years ({frame['nis_code'].nunique()} communes)"

        return [
            ("newly eligible", "Devenues éligibles (communes-années)", "Nieuw subsidiabel (gemeente-jaren)", figure(self.entered)),
            ("no longer eligible", "Plus éligibles (communes-années)", "Niet langer subsidiabel (gemeente-jaren)", figure(self.left)),
            (
                "paid more", "Reçoivent plus (communes-années)", "Ontvangen meer (gemeente-jaren)",
                figure(self.comparison[self.comparison["change_cents"] > 0]),
            ),
            (
                "paid less", "Reçoivent moins (communes-années)", "Ontvangen minder (gemeente-jaren)",
                figure(self.comparison[self.comparison["change_cents"] < 0]),
            ),
        ]

    def summary(self, top: int = 5) -> list[str]:
        lines = [f"WARNING: {w}" for w in self.warnings]
        lines.append(
            f"what-if rules {self.rules_version} against current rules {self.current_rules_version}, "
            f"years {', '.join(map(str, self.years))}"
        )
        if len(self.rules_diff):
            lines.append("rules changed:")
            lines.extend(f"  {r.key}: {r.before} -> {r.after}" for r in self.rules_diff.itertuples())
        lines.append("per year (EUR): budget before -> after; communes paid before -> after")
        lines.extend(
            f"  {r.year}: {r.budget_before_cents / 100:,.2f} -> {r.budget_after_cents / 100:,.2f}; "
            f"{r.communes_paid_before} -> {r.communes_paid_after}"
            for r in self.totals.itertuples()
        )
        lines.extend(f"{label}: {value}" for label, _, _, value in self.counts())
        for label, frame in (("newly eligible", self.entered), ("no longer eligible", self.left)):
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
        if len(self.lines):
            by_line = self.lines.groupby("budget_line")["change_cents"].agg(["count", lambda c: c.abs().sum()])
            lines.append("budget lines that change (commune-years; EUR moved):")
            lines.extend(f"  {line}: {int(row['count'])}; {row.iloc[1] / 100:,.2f}" for line, row in by_line.iterrows())
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


def flatten(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted keys of a rules document (budget lines keyed by their name, not their position)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list) and node and all(isinstance(i, Mapping) and "name" in i for i in node):
        for item in node:
            yield from flatten({k: v for k, v in item.items() if k != "name"}, f"{prefix}[{item['name']}]")
    else:
        yield prefix, node


def rules_diff(before: Path, after: Path) -> pd.DataFrame:
    """Every rule whose value differs between two rules files (both already validated)."""
    old, new = (dict(flatten(yaml.safe_load(p.read_text(encoding="utf-8")))) for p in (before, after))
    rows = [
        (key, "" if key not in old else str(old[key]), "" if key not in new else str(new[key]))
        for key in sorted(old.keys() | new.keys())
        if old.get(key, "(absent)") != new.get(key, "(absent)")
    ]
    return pd.DataFrame(rows, columns=["key", "before", "after"])


def _yearly_totals(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per year, before and after: the budget paid (guarantees included), the guarantees, and how
    many communes are paid and eligible."""

    def totals(frame: pd.DataFrame, when: str) -> pd.DataFrame:
        return frame.groupby("year").agg(
            **{
                f"budget_{when}_cents": ("paid_cents", "sum"),
                f"guarantees_{when}_cents": ("guarantee_cents", "sum"),
                f"communes_paid_{when}": ("paid_cents", lambda p: int((p > 0).sum())),
                f"communes_eligible_{when}": ("eligible", lambda e: int(e.fillna(False).astype(bool).sum())),
            }
        )

    out = totals(before, "before").join(totals(after, "after"), how="outer").fillna(0).astype("int64")
    out = out[sorted(out.columns, key=lambda c: (c.replace("_before", "").replace("_after", ""), "_after" in c))]
    out["budget_change_cents"] = out["budget_after_cents"] - out["budget_before_cents"]
    return out.reset_index()


def _line_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    keys = ["year", "nis_code", "budget_line"]
    merged = before[[*keys, "amount_cents"]].merge(
        after[[*keys, "amount_cents"]], on=keys, how="outer", suffixes=("_before", "_after")
    )
    merged = merged.rename(columns={"amount_cents_before": "before_cents", "amount_cents_after": "after_cents"})
    merged[["before_cents", "after_cents"]] = merged[["before_cents", "after_cents"]].fillna(0).astype("int64")
    merged["change_cents"] = merged["after_cents"] - merged["before_cents"]
    return merged[merged["change_cents"] != 0].sort_values(keys).reset_index(drop=True)


def run_whatif(rules_path: Path, warehouse: Path, *, year: int | None = None, current_rules: Path | None = None) -> WhatIf:
    from kernels import fund
    from kernels import warehouse as kernels

    current_rules = current_rules or kernels.config_file("fund_rules.yml")
    data = read_inputs(warehouse)
    known = set(data["indicators"]["indicator"].unique())
    try:
        rules = kernels.fund_rules(rules_path, known_indicators=known)
        after, after_lines, eligibility, plan = _apply(rules, data, kernels)
    except fund.FundRulesError as exc:
        # Rules that load but cannot be applied to these communes (a cap too low for the budget,
        # a floor too high, a year without budget): the remedy is a change of rules.
        raise CohesionError(str(exc)) from exc
    except fund.FundInputError as exc:
        raise CohesionError(f"the working database {warehouse} holds fund inputs the rules cannot use: {exc}") from exc
    if after.empty:
        first = plan.loc[plan["reason"].notna(), ["year", "reason"]].head(1)
        why = f" (e.g. {int(first['year'].iloc[0])}: {first['reason'].iloc[0]})" if len(first) else ""
        raise CohesionError(f"under the rules {rules_path} the fund cannot be computed for any year{why}")
    before, before_lines, was = data["current_years"], data["current_lines"], data["current_eligibility"]
    if year is not None:
        available = sorted(int(y) for y in set(after["year"]))
        if year not in available:
            raise CohesionError(f"year {year} is not a year of the fund under {rules_path} (years: {', '.join(map(str, available))})")
        after, before, eligibility, after_lines, before_lines, was = (
            f[f["year"] == year] for f in (after, before, eligibility, after_lines, before_lines, was)
        )

    names = data["communes"][["nis_code", "name_fr", "name_nl"]].rename(columns={"name_fr": "commune_fr", "name_nl": "commune_nl"})
    keys = ["year", "nis_code"]
    side = ["eligible", "status", "paid_cents"]
    comparison = before[[*keys, *side]].merge(after[[*keys, *side]], on=keys, how="outer", suffixes=("_before", "_after"))
    comparison[["paid_cents_before", "paid_cents_after"]] = (
        comparison[["paid_cents_before", "paid_cents_after"]].fillna(0).astype("int64")
    )
    for column in ("eligible_before", "eligible_after"):
        comparison[column] = comparison[column].fillna(False).astype(bool)
    comparison = comparison.rename(columns={"paid_cents_before": "before_cents", "paid_cents_after": "after_cents"})
    comparison["change_cents"] = comparison["after_cents"] - comparison["before_cents"]
    comparison["change_pct"] = (100.0 * comparison["change_cents"] / comparison["before_cents"]).where(comparison["before_cents"] > 0)
    changed = (
        (comparison["change_cents"] != 0)
        | (comparison["eligible_before"] != comparison["eligible_after"])
        | (comparison["status_before"] != comparison["status_after"])
    )
    comparison = names.merge(comparison[changed], on="nis_code", how="right").sort_values(keys)
    comparison = comparison[["nis_code", "commune_fr", "commune_nl", "year", *(c for c in comparison.columns if c not in ("nis_code", "commune_fr", "commune_nl", "year"))]]
    lines = names.merge(_line_changes(before_lines, after_lines), on="nis_code", how="right")
    lines = lines[["nis_code", "commune_fr", "commune_nl", "year", "budget_line", "before_cents", "after_cents", "change_cents"]]

    current_version = str(before["rules_version"].iloc[0]) if len(before) else "none"
    diff = rules_diff(Path(current_rules), Path(rules_path))
    warnings = []
    if set(data["sources"]["origin"].dropna()) == {"sample"}:
        warnings.append(SYNTHETIC_WARNING)
    if len(diff) and rules.version == current_version:
        warnings.append(
            f"the rules differ from the current ones in {len(diff)} place(s) but keep version {rules.version}: "
            "give the tested rules a new version, or the comparison cannot be told from the current fund"
        )
    return WhatIf(
        rules_version=rules.version,
        current_rules_version=current_version,
        years=tuple(sorted(int(y) for y in set(after["year"]))),
        totals=_yearly_totals(before, after),
        comparison=comparison.reset_index(drop=True),
        lines=lines.sort_values(["year", "nis_code", "budget_line"]).reset_index(drop=True),
        rules_diff=diff,
        eligibility=names.merge(eligibility.assign(rules_version=rules.version), on="nis_code", how="right"),
        warnings=tuple(warnings),
        labels=data["labels"],
    )


def _apply(rules, data: dict[str, pd.DataFrame], kernels) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The fund under ``rules``, computed as the pipeline's fund stage computes it (the same
    function) from the warehouse's tables: its years, lines, eligibility and plan. The alternative
    rules may change the scope: which years can be computed and which index ranks the communes
    follow from them. The index's Monte Carlo draws are read, not made again (a regional ranking
    draws that region's index, as the stage does)."""
    from kernels.stages import fund_tables

    m = kernels.methodology(methodology_file())  # the methodology the pipeline applied
    index = {"index_cohesion": data["index"], "index_regional": data["regional"], "index_draws": data["draws"]}
    tables = fund_tables(data["indicators"], data["communes"], data["population"], data["needs"], index, rules, m)
    plan = tables["fund_editions_calc"]
    if not plan["computed"].astype(bool).any():
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), plan
    return tables["fund_years"], tables["fund_lines"], tables["fund_eligibility_calc"], plan


def write_whatif(result: WhatIf, out_dir: Path) -> Path:
    """whatif.xlsx (cover with the warnings, the rules that differ and the counts; totals per year;
    communes; budget lines; eligibility) and the same tables as CSV, in cents."""
    out_dir.mkdir(parents=True, exist_ok=True)
    eligibility = result.eligibility[
        ["nis_code", "commune_fr", "commune_nl", "year", "gate_a_value", "gate_a_threshold", "gate_a_pass", "gate_b_value",
         "gate_b_threshold", "gate_b_pass", "eligible", "band_factor", "eligibility_probability", "borderline",
         "reason_fr", "reason_nl", "reason_en", "rules_version"]
    ].rename(columns={"reason_en": "reason"})
    tables = {
        "whatif_totals": result.totals,
        "whatif_comparison": result.comparison,
        "whatif_lines": result.lines,
        "whatif_rules": result.rules_diff,
        "fund_eligibility": eligibility,
    }
    for name, frame in tables.items():
        write_csv(frame, out_dir / f"{name if name.startswith('whatif_') else 'whatif_eligibility'}.csv")
    lines = [
        *((("ATTENTION : " + w, "OPGELET: " + w, "")) for w in result.warnings),
        ("Règles testées", "Geteste regels", result.rules_version),
        ("Règles en vigueur", "Geldende regels", result.current_rules_version),
        ("Années", "Jaren", ", ".join(map(str, result.years))),
        *((fr, nl, value) for _, fr, nl, value in result.counts()),
        ("Règles modifiées", "Gewijzigde regels", str(len(result.rules_diff))),
        ("Simulation : ne modifie pas la publication", "Simulatie: wijzigt de publicatie niet", ""),
    ]
    sheets = {k: for_reading(v, result.labels) for k, v in tables.items()}
    return write_workbook(out_dir / "whatif.xlsx", sheets, Cover(lines))
