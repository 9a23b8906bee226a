"""Assemble what a release needs from the working database, the dbt manifest and the configs.

No Dagster here: the publish asset and the CLI both call :func:`publish_from_warehouse`.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from ingestion.errors import PublishError
from orchestration.release import Release, ReleaseInfo, new_release_id, publish, write_release
from orchestration.settings import CONFIG_DIR, DBT_PROJECT_DIR, REPO_ROOT, Paths

QUALITY_COLUMNS = ("check_name", "asset", "passed", "severity", "summary")
SOURCES_COLUMNS = ("dataset", "vintage", "file", "url", "sha256", "size", "retrieved_at", "licence", "attribution", "origin")

# The metadata tables are documented here; published models are documented in dbt (their
# descriptions and `meta` reach the dictionary through the manifest).
_METADATA_DICTIONARY: list[tuple[str, str, str, str, str]] = [
    ("_release", "release_id", "Identifier of this release (UTC time and a random suffix)", "Identifiant de cette publication", ""),
    ("_release", "created_at", "When the release was assembled (UTC, ISO 8601)", "Date de création de la publication (UTC, ISO 8601)", ""),
    ("_release", "code_version", "Version of the code that produced the release", "Version du code qui a produit la publication", ""),
    ("_release", "methodology_version", "Version of config/methodology.yml (the cohesion index)", "Version de config/methodology.yml (l'indice de cohésion)", ""),
    ("_release", "rules_version", "Version of config/fund_rules.yml (the local cohesion fund)", "Version de config/fund_rules.yml (le fonds local de cohésion)", ""),
    ("_release", "data_origin", "Where the data comes from: 'synthetic sample' (the embedded test sample, never statistics), or \"publishers' files: \" followed by the datasets archived (see _sources)", "Origine des données : 'synthetic sample' (l'échantillon de test intégré, jamais des statistiques), ou \"publishers' files: \" suivi des jeux de données archivés (voir _sources)", ""),
    ("_sources", "dataset", "Dataset identifier of the catalog", "Identifiant du jeu de données dans le catalogue", ""),
    ("_sources", "vintage", "Release of the publisher's file (year or retrieval date)", "Millésime du fichier du producteur (année ou date de téléchargement)", ""),
    ("_sources", "file", "File name as archived", "Nom du fichier archivé", ""),
    ("_sources", "url", "Where the file was downloaded from (empty for files supplied by hand or generated)", "Adresse de téléchargement (vide pour les fichiers fournis à la main ou générés)", ""),
    ("_sources", "sha256", "SHA-256 checksum of the archived file", "Empreinte SHA-256 du fichier archivé", ""),
    ("_sources", "size", "File size", "Taille du fichier", "bytes"),
    ("_sources", "retrieved_at", "When the file was retrieved (UTC)", "Date de récupération du fichier (UTC)", ""),
    ("_sources", "licence", "Licence of the publisher's data", "Licence des données du producteur", ""),
    ("_sources", "attribution", "Attribution the publisher requires", "Mention de source exigée par le producteur", ""),
    ("_sources", "origin", "download, source_dir (supplied by hand) or sample (synthetic)", "download, source_dir (fourni à la main) ou sample (synthétique)", ""),
    ("_data_dictionary", "table_name", "Published table", "Table publiée", ""),
    ("_data_dictionary", "column_name", "Column of that table", "Colonne de cette table", ""),
    ("_data_dictionary", "description_en", "What the column means (English)", "Signification de la colonne (anglais)", ""),
    ("_data_dictionary", "description_fr", "What the column means (French)", "Signification de la colonne (français)", ""),
    ("_data_dictionary", "unit", "Unit of the column's values, when it has one", "Unité des valeurs de la colonne, le cas échéant", ""),
    ("_quality", "check_name", "Name of a check that gated this release", "Nom d'un contrôle ayant conditionné cette publication", ""),
    ("_quality", "asset", "Asset (table) the check ran on", "Actif (table) contrôlé", ""),
    ("_quality", "passed", "Whether the check passed (a release is only made when every blocking check passed)", "Résultat du contrôle (une publication n'a lieu que si tous les contrôles bloquants ont réussi)", ""),
    ("_quality", "severity", "ERROR checks block publication; WARN checks are reported", "Les contrôles ERROR bloquent la publication ; les WARN sont signalés", ""),
    ("_quality", "summary", "What the check found, in one line", "Ce que le contrôle a constaté, en une ligne", ""),
    ("fund_release_diff", "nis_code", "Commune whose fund situation changed since the previous release", "Commune dont la situation au fonds a changé depuis la publication précédente", "code"),
    ("fund_release_diff", "year", "Year of the fund", "Année du fonds", "year"),
    ("fund_release_diff", "previous_release_id", "The release compared with", "La publication comparée", ""),
    ("fund_release_diff", "eligible_before", "Eligible in the previous release", "Éligible dans la publication précédente", "flag"),
    ("fund_release_diff", "eligible_after", "Eligible in this release", "Éligible dans cette publication", "flag"),
    ("fund_release_diff", "paid_before_cents", "Paid in the previous release", "Versé dans la publication précédente", "EUR cents"),
    ("fund_release_diff", "paid_after_cents", "Paid in this release", "Versé dans cette publication", "EUR cents"),
    ("fund_release_diff", "change_cents", "Change in the amount paid", "Variation du montant versé", "EUR cents"),
    ("fund_release_diff", "data_change_cents", "Part of the change due to new data (previous rules on the new data minus the previous release); NULL when it cannot be split", "Part de la variation due aux nouvelles données ; NULL si elle ne peut être isolée", "EUR cents"),
    ("fund_release_diff", "rule_or_method_change_cents", "Part of the change due to new rules or a new methodology", "Part de la variation due à de nouvelles règles ou méthode", "EUR cents"),
    ("fund_release_diff", "change", "entered, left, increased or decreased", "entrée, sortie, hausse ou baisse", "text"),
    ("fund_release_diff", "cause", "data; data and rules (split); or rules or method changed (not split)", "données ; données et règles (séparées) ; ou règles ou méthode modifiées (non séparées)", "text"),
]


def manifest_path() -> Path:
    return DBT_PROJECT_DIR / "target" / "manifest.json"


@cache
def _manifest() -> dict:
    path = manifest_path()
    if not path.exists():
        return {"nodes": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def published_model_names() -> list[str]:
    """dbt models in models/published/, in name order."""
    return sorted(_published_models())


def _published_models() -> dict[str, dict]:
    """Published dbt models by the table name they publish (their alias)."""
    return {
        n.get("alias") or n["name"]: n
        for n in _manifest()["nodes"].values()
        if n["resource_type"] == "model" and len(n.get("fqn", [])) > 2 and n["fqn"][1] == "published"
    }


def data_dictionary(tables: list[str]) -> pd.DataFrame:
    """Every column of every published table: description EN/FR and unit."""
    rows = []
    models = _published_models()
    for table in tables:
        for column in (models.get(table) or {}).get("columns", {}).values():
            meta = column.get("meta") or column.get("config", {}).get("meta") or {}
            rows.append(
                (table, column["name"], column.get("description", ""), meta.get("description_fr", ""), meta.get("unit", ""))
            )
    rows.extend(_METADATA_DICTIONARY)
    return pd.DataFrame(rows, columns=["table_name", "column_name", "description_en", "description_fr", "unit"])


def config_version(name: str) -> str:
    path = CONFIG_DIR / name
    if not path.exists():
        return "none"
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return str(document.get("version", "unversioned"))


def code_version() -> str:
    version = metadata.version("cohesion-warehouse")
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+g{sha}"


def read_sources(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute("select * from raw.source_files").df()
    return frame.reindex(columns=list(SOURCES_COLUMNS))


SAMPLE_ORIGIN = "synthetic sample"
PUBLISHERS_ORIGIN = "publishers' files"


def data_origin(sources: pd.DataFrame) -> str:
    """Where the release's data comes from: ``synthetic sample``, or ``publishers' files:`` and the
    datasets archived. The archive refuses to mix the two; a release refuses it too."""
    origins = set(sources["origin"].dropna())
    if "sample" in origins:
        if origins - {"sample"}:
            raise PublishError(
                "the archive mixes the synthetic sample with publishers' files "
                f"({', '.join(sorted(origins))}); a release comes from one or the other"
            )
        return SAMPLE_ORIGIN
    datasets = sorted(set(sources["dataset"].dropna()))
    return f"{PUBLISHERS_ORIGIN}: {', '.join(datasets)}" if datasets else f"{PUBLISHERS_ORIGIN}: none"


def publish_from_warehouse(paths: Paths, quality: pd.DataFrame, *, now: datetime | None = None) -> Release:
    now = now or datetime.now(UTC)
    sources = read_sources(paths.warehouse)
    info = ReleaseInfo(
        release_id=new_release_id(now),
        created_at=now.isoformat(timespec="seconds"),
        code_version=code_version(),
        methodology_version=config_version("methodology.yml"),
        rules_version=config_version("fund_rules.yml"),
        data_origin=data_origin(sources),
    )
    from orchestration.release import published_tables

    tables = published_tables(paths.warehouse)
    extra = {}
    if "fund_transitions" in tables:
        from orchestration.release_diff import fund_release_diff

        extra["fund_release_diff"] = fund_release_diff(
            warehouse=paths.warehouse,
            published=paths.published,
            releases_dir=paths.releases,
            rules_version=info.rules_version,
            methodology_version=info.methodology_version,
        )
    release = write_release(
        warehouse=paths.warehouse,
        releases_dir=paths.releases,
        info=info,
        sources=sources,
        dictionary=data_dictionary(tables + list(extra)),
        quality=quality.reindex(columns=list(QUALITY_COLUMNS)),
        extra_tables=extra,
        config_files=tuple(p for p in (CONFIG_DIR / "methodology.yml", CONFIG_DIR / "fund_rules.yml") if p.exists()),
    )
    publish(release, paths.published)
    return release
