"""Assemble what a release needs from the working database, the dbt manifest and the configs.

No Dagster here: the publish assets call :func:`file_release_from_warehouse` (the release, filed
pending), build its site, then :func:`publish.release.publish`; :func:`publish_from_warehouse`
does the first and the last in one call.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from ingestion.errors import PublishError
from publish.release import Release, ReleaseInfo, new_release_id, publish, write_release
from ingestion.settings import DBT_PROJECT_DIR, REPO_ROOT, Paths, config_dir, methodology_file

QUALITY_COLUMNS = ("check_name", "asset", "passed", "severity", "summary")
SOURCES_COLUMNS = ("dataset", "vintage", "file", "url", "sha256", "size", "retrieved_at", "licence", "attribution", "origin")

# The metadata tables are documented here; published models are documented in dbt (their
# descriptions and `meta` reach the dictionary through the manifest, and their accepted values and
# ranges through their dbt tests). Per column: EN, FR, NL, unit, allowed values ("" = any).
_METADATA_DICTIONARY: list[tuple[str, str, str, str, str, str, str]] = [
    ("_release", "release_id", "Identifier of this release (UTC time and a random suffix)", "Identifiant de cette publication (heure UTC et suffixe aléatoire)", "Identificatie van deze publicatie (UTC-tijd en een willekeurig achtervoegsel)", "text", ""),
    ("_release", "created_at", "When the release was assembled (UTC, ISO 8601)", "Date de création de la publication (UTC, ISO 8601)", "Wanneer de publicatie werd samengesteld (UTC, ISO 8601)", "timestamp", ""),
    ("_release", "code_version", "Version of the code that produced the release", "Version du code qui a produit la publication", "Versie van de code die de publicatie aanmaakte", "text", ""),
    ("_release", "methodology_version", "Version of config/methodology.yml (the cohesion index)", "Version de config/methodology.yml (l'indice de cohésion)", "Versie van config/methodology.yml (de cohesie-index)", "text", ""),
    ("_release", "rules_version", "Version of config/fund_rules.yml (the local cohesion fund)", "Version de config/fund_rules.yml (le fonds local de cohésion)", "Versie van config/fund_rules.yml (het lokale cohesiefonds)", "text", ""),
    ("_release", "data_origin", "Where the data comes from: 'synthetic sample' (the embedded test sample, never statistics), or \"publishers' files: \" followed by the datasets archived (see _sources)", "Origine des données : 'synthetic sample' (l'échantillon de test intégré, jamais des statistiques), ou \"publishers' files: \" suivi des jeux de données archivés (voir _sources)", "Herkomst van de gegevens: 'synthetic sample' (de ingebouwde teststeekproef, nooit statistiek), of \"publishers' files: \" gevolgd door de gearchiveerde datasets (zie _sources)", "text", ""),
    ("_release", "fund_diff_summary", "What fund_release_diff holds: 'first release' (nothing to compare with), 'no change since release <id>', or how many commune-years changed since which release", "Ce que contient fund_release_diff : 'first release' (rien à comparer), 'no change since release <id>', ou combien de communes-années ont changé depuis quelle publication", "Wat fund_release_diff bevat: 'first release' (niets om mee te vergelijken), 'no change since release <id>', of hoeveel gemeente-jaren veranderden sinds welke publicatie", "text", ""),
    ("_release", "inputs_fingerprint", "SHA-256 of what the release was made from: the raw archive (files, retirements), the config folder and the code; a run with the same fingerprint as the published release does nothing", "SHA-256 de ce dont la publication est faite : l'archive brute (fichiers, retraits), le dossier de configuration et le code ; une exécution de même empreinte que la publication en ligne ne fait rien", "SHA-256 van waaruit de publicatie is gemaakt: het ruwe archief (bestanden, intrekkingen), de configuratiemap en de code; een run met dezelfde vingerafdruk als de gepubliceerde publicatie doet niets", "text", ""),
    ("_release", "content_digest", "SHA-256 of what the release holds: every published table's columns and rows (in any order), _sources, _data_dictionary and the code of its site; a run whose content has the published release's digest files no new release", "SHA-256 du contenu de la publication : colonnes et lignes de chaque table publiée (dans n'importe quel ordre), _sources, _data_dictionary et le code de son site ; une exécution au contenu identique à la publication en ligne n'en crée pas de nouvelle", "SHA-256 van de inhoud van de publicatie: kolommen en rijen van elke gepubliceerde tabel (in willekeurige volgorde), _sources, _data_dictionary en de code van haar site; een run met dezelfde inhoud als de gepubliceerde publicatie maakt geen nieuwe", "text", ""),
    ("_sources", "dataset", "Dataset identifier of the catalog", "Identifiant du jeu de données dans le catalogue", "Identificatie van de dataset in de catalogus", "text", ""),
    ("_sources", "vintage", "Release of the publisher's file (year or retrieval date)", "Millésime du fichier du producteur (année ou date de téléchargement)", "Versie van het bestand van de uitgever (jaar of datum van ophalen)", "text", ""),
    ("_sources", "file", "File name as archived", "Nom du fichier archivé", "Naam van het gearchiveerde bestand", "text", ""),
    ("_sources", "url", "Where the file was downloaded from (empty for files supplied by hand or generated)", "Adresse de téléchargement (vide pour les fichiers fournis à la main ou générés)", "Waar het bestand werd gedownload (leeg voor bestanden die met de hand werden aangeleverd of gegenereerd)", "text", ""),
    ("_sources", "sha256", "SHA-256 checksum of the archived file", "Empreinte SHA-256 du fichier archivé", "SHA-256-controlesom van het gearchiveerde bestand", "text", ""),
    ("_sources", "size", "File size", "Taille du fichier", "Bestandsgrootte", "bytes", ""),
    ("_sources", "retrieved_at", "When the file was retrieved (UTC)", "Date de récupération du fichier (UTC)", "Wanneer het bestand werd opgehaald (UTC)", "timestamp", ""),
    ("_sources", "licence", "Licence of the publisher's data", "Licence des données du producteur", "Licentie van de gegevens van de uitgever", "text", ""),
    ("_sources", "attribution", "Attribution the publisher requires", "Mention de source exigée par le producteur", "Bronvermelding die de uitgever vereist", "text", ""),
    ("_sources", "origin", "download, source_dir (supplied by hand) or sample (synthetic)", "download, source_dir (fourni à la main) ou sample (synthétique)", "download, source_dir (met de hand aangeleverd) of sample (synthetisch)", "text", "download,source_dir,sample"),
    ("_data_dictionary", "table_name", "Published table", "Table publiée", "Gepubliceerde tabel", "text", ""),
    ("_data_dictionary", "column_name", "Column of that table", "Colonne de cette table", "Kolom van die tabel", "text", ""),
    ("_data_dictionary", "description_en", "What the column means (English)", "Signification de la colonne (anglais)", "Betekenis van de kolom (Engels)", "text", ""),
    ("_data_dictionary", "description_fr", "What the column means (French)", "Signification de la colonne (français)", "Betekenis van de kolom (Frans)", "text", ""),
    ("_data_dictionary", "description_nl", "What the column means (Dutch)", "Signification de la colonne (néerlandais)", "Betekenis van de kolom (Nederlands)", "text", ""),
    ("_data_dictionary", "unit", "Unit of the column's values, when it has one", "Unité des valeurs de la colonne, le cas échéant", "Eenheid van de waarden van de kolom, als die er een heeft", "text", ""),
    ("_data_dictionary", "allowed_values", "The only values the column may hold, comma-separated, as checked before publication ('' = any); their labels are in value_labels", "Les seules valeurs permises dans la colonne, séparées par des virgules, vérifiées avant publication ('' = toutes) ; libellés dans value_labels", "De enige waarden die de kolom mag bevatten, gescheiden door komma's, gecontroleerd vóór publicatie ('' = alle); labels in value_labels", "text", ""),
    ("_data_dictionary", "min_value", "Smallest value the column may hold, as checked before publication; NULL when unbounded", "Plus petite valeur permise, vérifiée avant publication ; NULL sans borne", "Kleinste toegelaten waarde, gecontroleerd vóór publicatie; NULL zonder grens", "same as the column", ""),
    ("_data_dictionary", "max_value", "Largest value the column may hold, as checked before publication; NULL when unbounded", "Plus grande valeur permise, vérifiée avant publication ; NULL sans borne", "Grootste toegelaten waarde, gecontroleerd vóór publicatie; NULL zonder grens", "same as the column", ""),
    ("_quality", "check_name", "Name of a check that gated this release", "Nom d'un contrôle ayant conditionné cette publication", "Naam van een controle die deze publicatie moest doorstaan", "text", ""),
    ("_quality", "asset", "Asset (table) the check ran on", "Actif (table) contrôlé", "Asset (tabel) waarop de controle liep", "text", ""),
    ("_quality", "passed", "Whether the check passed (a release is only made when every blocking check passed)", "Résultat du contrôle (une publication n'a lieu que si tous les contrôles bloquants ont réussi)", "Of de controle slaagde (een publicatie komt er enkel als elke blokkerende controle slaagde)", "flag", ""),
    ("_quality", "severity", "ERROR checks block publication; WARN checks are reported", "Les contrôles ERROR bloquent la publication ; les WARN sont signalés", "ERROR-controles blokkeren de publicatie; WARN-controles worden gemeld", "text", "ERROR,WARN"),
    ("_quality", "summary", "What the check found, in one line; 'carried over from release X' when the run rebuilt only what depends on changed datasets and this check's inputs did not change", "Ce que le contrôle a constaté, en une ligne ; « carried over from release X » quand l'exécution n'a reconstruit que ce qui dépend des jeux de données modifiés et que les entrées de ce contrôle n'ont pas changé", "Wat de controle vaststelde, in één regel; 'carried over from release X' wanneer de run alleen herbouwde wat van gewijzigde datasets afhangt en de invoer van deze controle niet veranderde", "text", ""),
    ("fund_release_diff", "nis_code", "Commune whose fund situation changed since the previous release", "Commune dont la situation au fonds a changé depuis la publication précédente", "Gemeente waarvan de situatie in het fonds veranderde sinds de vorige publicatie", "code", ""),
    ("fund_release_diff", "year", "Year of the fund", "Année du fonds", "Jaar van het fonds", "year", ""),
    ("fund_release_diff", "previous_release_id", "The release compared with", "La publication comparée", "De publicatie waarmee vergeleken wordt", "text", ""),
    ("fund_release_diff", "eligible_before", "Eligible in the previous release", "Éligible dans la publication précédente", "Subsidiabel in de vorige publicatie", "flag", ""),
    ("fund_release_diff", "eligible_after", "Eligible in this release", "Éligible dans cette publication", "Subsidiabel in deze publicatie", "flag", ""),
    ("fund_release_diff", "paid_before_cents", "Paid in the previous release", "Versé dans la publication précédente", "Uitbetaald in de vorige publicatie", "EUR cents", ""),
    ("fund_release_diff", "paid_after_cents", "Paid in this release", "Versé dans cette publication", "Uitbetaald in deze publicatie", "EUR cents", ""),
    ("fund_release_diff", "change_cents", "Change in the amount paid (after minus before)", "Variation du montant versé (après moins avant)", "Verandering van het uitbetaalde bedrag (na min voor)", "EUR cents", ""),
    ("fund_release_diff", "data_change_cents", "Part of the change due to new data (previous rules on the new data minus the previous release); NULL when it cannot be split", "Part de la variation due aux nouvelles données (anciennes règles sur les nouvelles données moins la publication précédente) ; NULL si elle ne peut être isolée", "Deel van de verandering door nieuwe gegevens (vorige regels op de nieuwe gegevens min de vorige publicatie); NULL als het niet te scheiden is", "EUR cents", ""),
    ("fund_release_diff", "rule_or_method_change_cents", "Part of the change due to new rules or a new methodology", "Part de la variation due à de nouvelles règles ou méthode", "Deel van de verandering door nieuwe regels of een nieuwe methodologie", "EUR cents", ""),
    ("fund_release_diff", "change", "entered, left, increased or decreased (labels in value_labels)", "entered (entrée), left (sortie), increased (hausse) ou decreased (baisse)", "entered (toetreding), left (uittreding), increased (stijging) of decreased (daling)", "text", "entered,left,increased,decreased"),
    ("fund_release_diff", "cause", "data; data and rules (split); or rules or method changed (not split)", "données ; données et règles (séparées) ; ou règles ou méthode modifiées (non séparées)", "gegevens; gegevens en regels (gescheiden); of regels of methode gewijzigd (niet gescheiden)", "text", "data,data and rules (split),rules or method changed (not split)"),
]
DICTIONARY_COLUMNS = (
    "table_name", "column_name", "description_en", "description_fr", "description_nl", "unit", "allowed_values",
    "min_value", "max_value",
)


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


def _column_checks() -> dict[tuple[str, str], tuple[str, float | None, float | None]]:
    """(table, column) -> the allowed values and the range the published model's dbt tests
    enforce, so that the dictionary documents exactly what was checked."""
    models = {n["unique_id"]: n.get("alias") or n["name"] for n in _published_models().values()}
    found: dict[tuple[str, str], tuple[str, float | None, float | None]] = {}
    for node in _manifest()["nodes"].values():
        test = node.get("test_metadata") or {}
        table = models.get(node.get("attached_node") or "")
        column = node.get("column_name")
        if node.get("resource_type") != "test" or table is None or column is None:
            continue
        values, low, high = found.get((table, column), ("", None, None))
        kwargs = test.get("kwargs", {})
        if test.get("name") == "accepted_values":
            values = ",".join(str(v) for v in kwargs.get("values", []))
        elif test.get("name") == "within_range":
            low, high = kwargs.get("low"), kwargs.get("high")
        found[(table, column)] = (values, low, high)
    return found


def data_dictionary(tables: list[str]) -> pd.DataFrame:
    """Every column of every published table: what it means in EN, FR and NL, its unit, and the
    values or range its tests allow."""
    rows = []
    models = _published_models()
    checks = _column_checks()
    for table in tables:
        for column in (models.get(table) or {}).get("columns", {}).values():
            meta = column.get("meta") or column.get("config", {}).get("meta") or {}
            values, low, high = checks.get((table, column["name"]), ("", None, None))
            rows.append(
                (
                    table, column["name"], column.get("description", ""), meta.get("description_fr", ""),
                    meta.get("description_nl", ""), meta.get("unit", ""), values, low, high,
                )
            )
    rows.extend((*entry, None, None) for entry in _METADATA_DICTIONARY)
    frame = pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS))
    return frame.astype({"min_value": "float64", "max_value": "float64"})


def config_path(name: str) -> Path:
    """A config file as the run applies it: COHESION_METHODOLOGY names an archived methodology
    (README, "Methodology versions"; ``methodology_file``), so the release records the version
    that produced it."""
    if name == "methodology.yml":
        return methodology_file()
    return config_dir() / name


def current_inputs_fingerprint(paths: Paths) -> str:
    """The inputs fingerprint of a run now: the archive, the config folder, the code, and the
    archived methodology COHESION_METHODOLOGY names, if any."""
    from publish.fingerprint import inputs_fingerprint

    return inputs_fingerprint(paths.raw, config_dir(), extra_files=(config_path("methodology.yml"),))


def config_version(name: str) -> str:
    path = config_path(name)
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


@dataclass(frozen=True)
class PublishOutcome:
    release: Release
    # False when the run's content equals the published release's: that release stays, no new one.
    new: bool


def published_release(paths: Paths) -> Release | None:
    """The release published now (its manifest), or None before the first."""
    from publish.release import current_release_id, load_release

    release_id = current_release_id(paths.published)
    if release_id is None or not (paths.releases / release_id).is_dir():
        return None
    return load_release(paths.releases / release_id)


# Beside a release's files: other inputs fingerprints that made exactly this release's content.
SAME_CONTENT_FILE = "same_content_inputs.json"


def inputs_fingerprints(release: Release) -> set[str]:
    """Every inputs fingerprint known to make ``release``: its own, and those remembered since."""
    found = {release.info.inputs_fingerprint} - {""}
    extra = release.directory / SAME_CONTENT_FILE
    if extra.exists():
        found |= set(json.loads(extra.read_text(encoding="utf-8")).get("inputs_fingerprints", []))
    return found


def remember_inputs(release: Release, fingerprint: str) -> None:
    """Record that ``fingerprint``'s inputs made ``release``'s content (the release's own files stay
    as they were written; this list sits beside them and is replaced atomically)."""
    known = inputs_fingerprints(release) - {release.info.inputs_fingerprint}
    if fingerprint == release.info.inputs_fingerprint or fingerprint in known:
        return
    target = release.directory / SAME_CONTENT_FILE
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps({"inputs_fingerprints": sorted(known | {fingerprint})}, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, target)


# Beside a release's files: what it was made from, in parts (code and config; each dataset's archive).
INPUT_PARTS_FILE = "input_parts.json"


def current_input_parts(paths: Paths) -> dict:
    """What a run now is made from, in parts: the code and config (``method``) and each archived
    dataset (``datasets``), so that the next run can tell which datasets changed."""
    from publish.fingerprint import dataset_fingerprints, method_fingerprint

    return {
        "method": method_fingerprint(config_dir(), extra_files=(config_path("methodology.yml"),)),
        "datasets": dataset_fingerprints(paths.raw),
    }


def record_input_parts(release: Release, parts: dict) -> None:
    target = release.directory / INPUT_PARTS_FILE
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(parts, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, target)


@dataclass(frozen=True)
class ChangedDatasets:
    release_id: str
    datasets: tuple[str, ...]


def changed_datasets(paths: Paths) -> ChangedDatasets | None:
    """The datasets whose archive changed since the published release, when nothing else did (the
    same code and config, the same datasets archived, and the working database the release was
    built in still there): a run then rebuilds only what depends on them. None otherwise."""
    release = published_release(paths)
    if release is None or not paths.warehouse.exists():
        return None
    recorded_file = release.directory / INPUT_PARTS_FILE
    if not recorded_file.exists():
        return None
    recorded = json.loads(recorded_file.read_text(encoding="utf-8"))
    now = current_input_parts(paths)
    if recorded.get("method") != now["method"] or set(recorded.get("datasets", {})) != set(now["datasets"]):
        return None
    changed = tuple(sorted(d for d, digest in now["datasets"].items() if recorded["datasets"][d] != digest))
    return ChangedDatasets(release.release_id, changed) if changed else None


def carried_quality(published: Path, evaluated: pd.DataFrame) -> pd.DataFrame:
    """The published release's check results that this run did not evaluate (a run that rebuilt
    only what depends on the changed datasets), each saying where it comes from."""
    from publish.release import current_release_id

    release_id = current_release_id(published)
    if release_id is None:
        return evaluated.iloc[0:0]
    with duckdb.connect(str(published), read_only=True) as con:
        previous = con.execute("select * from _quality").df().reindex(columns=list(QUALITY_COLUMNS))
    seen = set(zip(evaluated["check_name"], evaluated["asset"]))
    kept = previous[[(c, a) not in seen for c, a in zip(previous["check_name"], previous["asset"])]].copy()
    kept["summary"] = f"carried over from release {release_id} (not re-run: its inputs did not change): " + kept["summary"].astype(str)
    return kept.astype({"passed": bool}).reset_index(drop=True)


def warehouse_content_digest(warehouse: Path, tables: list[str], sources: pd.DataFrame, dictionary: pd.DataFrame) -> str:
    """The digest of what a release of the working database would hold: its tables and the code of
    its site (a site built by other code is other content)."""
    import hashlib

    from publish.fingerprint import content_digest, site_code_fingerprint

    with duckdb.connect() as con:
        con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
        try:
            tables_digest = content_digest(
                con,
                {table: f'wh.published."{table}"' for table in tables},
                {"_sources": sources, "_data_dictionary": dictionary},
            )
        finally:
            con.execute("DETACH wh")
    return hashlib.sha256(f"{tables_digest}\0site {site_code_fingerprint()}".encode()).hexdigest()


def publish_from_warehouse(paths: Paths, quality: pd.DataFrame, *, now: datetime | None = None) -> PublishOutcome:
    """File and publish a release of the working database, unless its content equals the
    published release's: then that release stays published and is returned (``new`` False)."""
    outcome = file_release_from_warehouse(paths, quality, now=now)
    if outcome.new:
        publish(outcome.release, paths.published)
    return outcome


def file_release_from_warehouse(paths: Paths, quality: pd.DataFrame, *, now: datetime | None = None) -> PublishOutcome:
    """Write and verify a release under ``releases/<release_id>/``, filed pending: nothing is
    published yet (the publish assets build its site into its folder first). When its content
    equals the published release's, nothing is written and that release is returned (``new`` False)."""
    from publish.release import published_tables

    now = now or datetime.now(UTC)
    sources = read_sources(paths.warehouse)
    methodology_version, rules_version = config_version("methodology.yml"), config_version("fund_rules.yml")
    tables = published_tables(paths.warehouse)
    dictionary = data_dictionary(tables + (["fund_release_diff"] if "fund_transitions" in tables else []))
    digest = warehouse_content_digest(paths.warehouse, tables, sources, dictionary)
    fingerprint = current_inputs_fingerprint(paths)
    current = published_release(paths)
    if current is not None and current.info.content_digest == digest:
        # Other inputs (a code change, a file that feeds nothing published) made the same release:
        # remember them, so that the next run with these inputs does nothing.
        remember_inputs(current, fingerprint)
        return PublishOutcome(current, new=False)
    extra = {}
    diff_text = "the release has no fund tables"
    if "fund_transitions" in tables:
        from publish.release_diff import diff_summary, fund_release_diff

        diff = fund_release_diff(
            warehouse=paths.warehouse,
            published=paths.published,
            releases_dir=paths.releases,
            rules_version=rules_version,
            methodology_version=methodology_version,
        )
        extra["fund_release_diff"] = diff
        diff_text = diff_summary(diff)
    info = ReleaseInfo(
        release_id=new_release_id(now),
        created_at=now.isoformat(timespec="seconds"),
        code_version=code_version(),
        methodology_version=methodology_version,
        rules_version=rules_version,
        data_origin=data_origin(sources),
        fund_diff_summary=diff_text,
        inputs_fingerprint=fingerprint,
        content_digest=digest,
    )
    release = write_release(
        warehouse=paths.warehouse,
        releases_dir=paths.releases,
        info=info,
        sources=sources,
        dictionary=dictionary,
        quality=quality.reindex(columns=list(QUALITY_COLUMNS)),
        extra_tables=extra,
        config_files=tuple(p for p in (config_path("methodology.yml"), config_path("fund_rules.yml")) if p.exists()),
    )
    record_input_parts(release, current_input_parts(paths))
    return PublishOutcome(release, new=True)
