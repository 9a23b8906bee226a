"""The packages import one way (README, "Layout"): ingestion at the top, then expectations and the
kernels, then publish, then the Dagster wiring and the command line, which start everything. A
lower layer never reaches back up, and publish never imports Dagster or a command-line module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# package -> the project packages it may import
ALLOWED: dict[str, set[str]] = {
    "ingestion": set(),
    "expectations": {"ingestion"},
    "kernels": {"ingestion"},
    "publish": {"ingestion", "kernels"},
    "orchestration": {"ingestion", "expectations", "kernels", "publish"},
    "cli": {"ingestion", "expectations", "kernels", "publish", "orchestration"},
}
# third-party packages a layer must not import: the kernels and publish run without Dagster or dbt
FORBIDDEN_THIRD_PARTY: dict[str, set[str]] = {
    "ingestion": {"dagster", "dagster_dbt", "dbt"},
    "expectations": {"dagster", "dagster_dbt", "dbt"},
    "kernels": {"dagster", "dagster_dbt", "dbt"},
    "publish": {"dagster", "dagster_dbt", "dbt"},
}


def imported_modules(package: str) -> list[tuple[str, str]]:
    """(module imported, file) for every absolute import in the package, lazy ones included."""
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(alias.name, str(path.relative_to(REPO))) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((node.module, str(path.relative_to(REPO))))
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_go_one_way(package):
    wrong = sorted(
        f"{path} imports {module}"
        for module, path in imported_modules(package)
        if (top := module.split(".")[0]) in ALLOWED and top != package and top not in ALLOWED[package]
    )
    assert wrong == [], f"{package} may import only {sorted(ALLOWED[package])}: " + "; ".join(wrong)


@pytest.mark.parametrize("package", sorted(FORBIDDEN_THIRD_PARTY))
def test_layers_without_dagster_or_dbt(package):
    wrong = sorted(
        f"{path} imports {module}"
        for module, path in imported_modules(package)
        if module.split(".")[0] in FORBIDDEN_THIRD_PARTY[package]
    )
    assert wrong == []


def test_the_checker_reads_real_imports():
    # The tests above would pass on an empty tree: make sure they read real imports.
    assert ("publish.release", "publish/publishing.py") in imported_modules("publish")
