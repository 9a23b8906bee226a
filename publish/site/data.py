"""What the site shows, read once from a release file (read-only) into plain frames and lookups.

Every number on the site comes from here, taken as the published tables hold it; the only
derived figures are the rank interval's width (rank_p95 - rank_p05), the amount per inhabitant
(the commune's budget lines that year over its population on 1 January) and the medians of a
region's and of Belgium's communes beside each indicator, all said in words on the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import duckdb
import pandas as pd

from publish.site.i18n import LANGS

SAMPLE_ORIGIN = "synthetic sample"
# Units the site shows as percentages: a share runs from 0 to 1 in the tables (JOURNALISTS.md).
PERCENT_OF_SHARE = 100.0
DECIMALS = {"EUR": 0, "share": 1, "percent": 1, "per_1000": 1, "ratio": 2, "persons": 0, "percentage_points": 1}
FUND_STATUSES = ("entering", "in_fund", "staying", "leaving", "out")
# Treatments a reader should know of (log_transformed is only how the index reads the value).
SHOWN_TREATMENTS = ("imputed", "smoothed", "winsorised")


def display_value(value: float | None, unit: str) -> float | None:
    """A value as the site shows it: shares as percentages, everything else as published."""
    if value is None or (value != value if value.__class__ is float else pd.isna(value)):
        return None
    return float(value) * PERCENT_OF_SHARE if unit == "share" else float(value)


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("select 1 from information_schema.tables where table_name = ?", [table]).fetchall())


@dataclass
class ReleaseData:
    con: duckdb.DuckDBPyConnection
    release: dict
    communes: pd.DataFrame
    index: pd.DataFrame  # cohesion_index + uncertainty
    domains: pd.DataFrame
    indicators: pd.DataFrame
    treatments: pd.DataFrame
    definitions: pd.DataFrame
    labels: pd.DataFrame
    flag_definitions: pd.DataFrame
    fund: pd.DataFrame  # fund_transitions + eligibility probability + population + amount
    allocation: pd.DataFrame
    fund_years: list[int]
    former: pd.DataFrame
    tables: list[str]

    @property
    def synthetic(self) -> bool:
        return self.release["data_origin"] == SAMPLE_ORIGIN

    @cached_property
    def editions(self) -> list[int]:
        return sorted(int(y) for y in self.index["year"].unique())

    @cached_property
    def label_lookup(self) -> dict[tuple[str, str, str], str]:
        return {
            (row.column_name, row.value, lang): getattr(row, f"label_{lang}")
            for row in self.labels.itertuples()
            for lang in LANGS
        }

    def label(self, column: str, value: str, lang: str) -> str:
        """The release's own label of a code (value_labels), the code itself when it has none."""
        return self.label_lookup.get((column, value, lang), value)

    @cached_property
    def indicator_info(self) -> dict[str, dict]:
        return {row["indicator"]: row for row in self.definitions.to_dict("records")}

    def indicator_name(self, indicator: str, lang: str) -> str:
        info = self.indicator_info.get(indicator)
        return info[f"description_{lang}"] if info else indicator

    def commune_name(self, nis: str, lang: str) -> str:
        row = self.commune_rows[nis]
        return row["name_nl"] if lang == "nl" else row["name_fr"]

    @cached_property
    def commune_rows(self) -> dict[str, dict]:
        return {row["nis_code"]: row for row in self.communes.to_dict("records")}

    @cached_property
    def medians(self) -> pd.DataFrame:
        """Per indicator and year: the median value of each region's communes and of Belgium's."""
        frame = self.indicators.merge(self.communes[["nis_code", "region_code"]], on="nis_code")
        region = frame.groupby(["indicator", "year", "region_code"])["value"].median().rename("region_median").reset_index()
        belgium = frame.groupby(["indicator", "year"])["value"].median().rename("belgium_median").reset_index()
        return region.merge(belgium, on=["indicator", "year"])


def load_release(con: duckdb.DuckDBPyConnection) -> ReleaseData:
    def df(sql: str) -> pd.DataFrame:
        return con.execute(sql).df()

    tables = [t for (t,) in con.execute("select table_name from information_schema.tables order by 1").fetchall()]
    release = df("select * from _release").to_dict("records")[0]
    index = df(
        "select i.nis_code, i.year, i.score, i.rank, i.reason, u.rank_p05, u.rank_p95, u.rank_median "
        "from cohesion_index i left join cohesion_index_uncertainty u using (nis_code, year) order by nis_code, year"
    )
    fund_years = (
        [y for (y,) in con.execute("select year from fund_editions where computed order by year").fetchall()]
        if _has(con, "fund_editions") else []
    )
    fund = df(
        "select t.nis_code, t.year, t.status, t.paid_cents, t.reason, t.reason_fr, t.reason_nl, "
        "e.eligibility_probability, p.population, a.amount_cents "
        "from fund_transitions t "
        "left join fund_eligibility e using (nis_code, year) "
        "left join commune_population p using (nis_code, year) "
        "left join (select nis_code, year, sum(amount_cents) as amount_cents from fund_allocation group by all) a "
        "using (nis_code, year) order by nis_code, year"
    ) if _has(con, "fund_transitions") else pd.DataFrame()
    if len(fund):
        # A commune with no budget line that year is paid nothing: 0 euros, not an unknown amount.
        fund["amount_cents"] = fund["amount_cents"].fillna(0).astype("int64")
        fund["per_inhabitant"] = (fund["amount_cents"] / 100) / fund["population"].where(fund["population"] > 0)
    return ReleaseData(
        con=con,
        release=release,
        communes=df("select * from communes order by nis_code"),
        index=index,
        domains=df("select nis_code, year, domain, weight, contribution from cohesion_index_domains order by nis_code, year"),
        indicators=df(
            "select nis_code, year, indicator, value, unit, flags from commune_indicators order by nis_code, indicator, year"
        ),
        treatments=df(
            "select nis_code, year, indicator, treatment from indicator_treatments where treatment in "
            + str(SHOWN_TREATMENTS)
        ) if _has(con, "indicator_treatments") else pd.DataFrame(columns=["nis_code", "year", "indicator", "treatment"]),
        definitions=df("select * from indicator_definitions order by domain, indicator"),
        labels=df("select * from value_labels"),
        flag_definitions=df("select * from flag_definitions order by flag") if _has(con, "flag_definitions") else pd.DataFrame(),
        fund=fund,
        allocation=df("select * from fund_allocation order by nis_code, year, budget_line") if _has(con, "fund_allocation") else pd.DataFrame(),
        fund_years=fund_years,
        former=df("select * from former_communes order by nis_code, former_code") if _has(con, "former_communes") else pd.DataFrame(),
        tables=tables,
    )
