"""The resources every asset uses; the one place where their configuration is decided."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.settings import DBT_PROJECT_DIR, config_dir, methodology_file
from orchestration.dbt_runner import DbtInProcess
from kernels import fund_rules as fund_rules_kernel
from kernels.methodology import Methodology, load_methodology


class MethodFiles(dg.ConfigurableResource):
    """The methodology and fund rules files the index and fund stages apply, passed to the kernels
    explicitly. Left empty, each is decided when a run starts: the methodology is
    ``COHESION_METHODOLOGY`` if set (to rebuild a release of an archived version), else the config
    folder's ``methodology.yml``; the rules are the config folder's ``fund_rules.yml``."""

    methodology: str = ""
    fund_rules: str = ""

    def methodology_path(self) -> Path:
        return Path(self.methodology) if self.methodology else methodology_file()

    def fund_rules_path(self) -> Path:
        return Path(self.fund_rules) if self.fund_rules else config_dir() / "fund_rules.yml"

    def load_methodology(self) -> Methodology:
        return load_methodology(self.methodology_path())

    def load_fund_rules(self) -> fund_rules_kernel.FundRules:
        return fund_rules_kernel.load_fund_rules(self.fund_rules_path())


def build_resources() -> dict[str, object]:
    # The working database is read from the environment when a run starts, not when the code
    # location is imported (`cohesion` sets COHESION_WAREHOUSE from COHESION_DATA_DIR).
    return {
        "duckdb": DuckDBResource(database=dg.EnvVar("COHESION_WAREHOUSE")),
        "method_files": MethodFiles(),
        "dbt": DbtInProcess(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR)),
    }
