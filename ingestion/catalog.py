"""The dataset catalog (``catalog.yml``): which files each dataset reads, where from, and how.

:func:`load_catalog` validates the YAML into frozen dataclasses and raises
:class:`~ingestion.errors.CatalogError` naming the dataset, the file and the field at fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from ingestion.canonical import MAP_VINTAGES
from ingestion.errors import CatalogError
from ingestion.geography import ISO_REGIONS

DEFAULT_CATALOG_PATH = Path(__file__).with_name("catalog.yml")

# The one list of layouts the code knows; the parser registry is checked against it.
KNOWN_LAYOUTS: frozenset[str] = frozenset(
    {
        "statbel_refnis",
        "pinc_crosswalk",
        "statbel_pop_struct",
        "statbel_income_panel",
        "statbel_fisc_workbook",
        "statbel_immo_quarterly",
        "statbel_immo_annual",
        "statbel_movement",
        "onem_rates",
        "swing_csv",
        "swing_xlsx",
        "canonical_csv",
        "statbel_pop_totals",
    }
)

# The map's reference tables (code lists, crosswalks) are read by their own functions; every other
# dataset of the catalog is a raw table, an asset and a dbt source.
REFERENCE_DOMAIN = "geography"

VINTAGE_PER_YEAR = "{year}"
VINTAGE_RETRIEVED = "retrieved"
CADENCES: frozenset[str] = frozenset({"yearly", "quarterly", "monthly", "irregular"})

_YEAR = "{year}"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_RANGE = re.compile(r"^(?P<first>\d{4})?(?:(?P<dots>\.\.)(?P<last>\d{4})?)?$")
_DATASET_FIELDS = ("id", "publisher", "title", "licence", "attribution", "landing_page", "domain", "cadence", "files")
_DATASET_OPTIONAL = ("max_unpacked_mb",)
_FILE_REQUIRED = ("id", "layout", "filename", "url", "years", "vintage", "map_vintage")
_FILE_OPTIONAL = ("member", "sample", "licence", "attribution", "note", "signature", "coverage")
_SIGNATURE_FIELDS = ("labels", "member")
NATIONAL = "national"
# The kind of file a catalog name stands for (recognition compares it with the file's content).
_NAME_KINDS = {".zip": "zip", ".xlsx": "xlsx", ".xls": "xls", ".csv": "text", ".txt": "text"}


@dataclass(frozen=True)
class YearRange:
    """First and last year a publisher offers, both included."""

    first: int
    last: int

    def __contains__(self, year: object) -> bool:
        return isinstance(year, int) and self.first <= year <= self.last

    def years(self) -> range:
        return range(self.first, self.last + 1)


@dataclass(frozen=True)
class MapVintageRule:
    """``map_vintage`` applies to data about the years ``first..last`` (``None`` = open)."""

    first: int | None
    last: int | None
    map_vintage: int

    def covers(self, year: int) -> bool:
        return (self.first is None or year >= self.first) and (self.last is None or year <= self.last)


@dataclass(frozen=True)
class FileSignature:
    """What a file must hold to be this catalog entry rather than another of the same layout.

    ``labels``: every one must be among the file's own labels (Swing indicator labels, the
    header of a crosswalk); ``member``: a zip must hold a member matching this pattern.
    """

    labels: tuple[str, ...] = ()
    member: str | None = None


@dataclass(frozen=True)
class FileSpec:
    """One publisher file of a dataset, as declared in the catalog."""

    dataset: str
    id: str
    layout: str
    filename: str
    url: str | None
    years: YearRange | None
    vintage: str
    map_vintage: tuple[MapVintageRule, ...]
    member: str | None = None
    sample: bool = False
    licence: str | None = None
    attribution: str | None = None
    note: str | None = None
    signature: FileSignature | None = None
    # The regions (ISO 3166-2) the publisher covers; all three for a national file.
    coverage: tuple[str, ...] = ISO_REGIONS

    @property
    def national(self) -> bool:
        return set(self.coverage) == set(ISO_REGIONS)

    @property
    def kind(self) -> str:
        """The kind of file the catalog name stands for: zip, xlsx, xls, text or other."""
        return _NAME_KINDS.get(Path(self.filename).suffix.lower(), "other")

    @property
    def per_year(self) -> bool:
        """True for one file per year (vintage ``{year}``), False for a fixed URL."""
        return self.vintage == VINTAGE_PER_YEAR

    @property
    def label(self) -> str:
        return f"{self.dataset}/{self.id}"

    def _need_year(self, year: int | None, what: str) -> None:
        if self.per_year and year is None:
            raise CatalogError(f"{self.label}: {what} needs a year (the file name is {self.filename!r})")

    def filename_for(self, year: int | None = None) -> str:
        self._need_year(year, "the file name")
        return self.filename.replace(_YEAR, str(year)) if self.per_year else self.filename

    def url_for(self, year: int | None = None) -> str:
        if self.url is None:
            hint = f" {self.note}" if self.note else " Put the file in a folder and ingest it with --source-dir."
            raise CatalogError(f"{self.label}: {self.filename!r} has no public URL.{hint}")
        self._need_year(year, "the URL")
        return self.url.replace(_YEAR, str(year)) if self.per_year else self.url

    def member_for(self, year: int | None = None) -> str | None:
        """Name pattern (fnmatch) of the file a zip must hold, or None."""
        if self.member is None:
            return None
        if _YEAR in self.member:
            self._need_year(year, "the zip member")
            return self.member.replace(_YEAR, str(year))
        return self.member

    def map_vintage_for(self, year: int) -> int:
        """The commune map (589, 581 or 565) this file uses for data about ``year``."""
        for rule in self.map_vintage:
            if rule.covers(year):
                return rule.map_vintage
        raise CatalogError(f"{self.label}: no map_vintage rule covers the year {year}")

    def vintage_for(self, year: int | None = None, retrieved_at: datetime | None = None) -> str:
        """Archive vintage: the year, or the UTC retrieval date (YYYY-MM-DD) for a fixed URL."""
        if self.per_year:
            self._need_year(year, "the vintage")
            return str(year)
        moment = retrieved_at or datetime.now(UTC)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.date().isoformat()

    def match(self, name: str) -> tuple[bool, int | None]:
        """Whether ``name`` is this file (case-insensitive) and the year it carries."""
        found = self._pattern().fullmatch(name)
        if found is None:
            return False, None
        return True, int(found.group("year")) if self.per_year else None

    def _pattern(self) -> re.Pattern[str]:
        parts = [re.escape(p) for p in self.filename.split(_YEAR)]
        return re.compile(r"(?P<year>\d{4})".join(parts), re.IGNORECASE)


@dataclass(frozen=True)
class Dataset:
    id: str
    publisher: str
    title: str
    licence: str
    attribution: str
    landing_page: str
    domain: str
    cadence: str
    files: tuple[FileSpec, ...]
    # The most a file of this dataset may unpack to (a zip's or workbook's members, a text's
    # bytes), in MB: a file beyond it is refused before it is archived or parsed (a zip bomb, or
    # a wrong file). None: no limit (catalogs written in tests; catalog.yml sets one everywhere).
    max_unpacked_mb: int | None = None

    @property
    def max_unpacked_bytes(self) -> int | None:
        return None if self.max_unpacked_mb is None else self.max_unpacked_mb * 1_000_000

    def file(self, file_id: str) -> FileSpec:
        for spec in self.files:
            if spec.id == file_id:
                return spec
        known = ", ".join(f.id for f in self.files)
        raise CatalogError(f"dataset {self.id} has no file {file_id!r}; its files are: {known}")

    @property
    def partition_years(self) -> tuple[int, ...] | None:
        """The years a yearly dataset is loaded by, one per partition: for a dataset whose every
        file is published once a year under its year (TF_SOC_POP_STRUCT_{year}), the years the
        catalog lists for those files. None for a dataset with a file that restates a whole series
        (a panel or a workbook of every year), which is reloaded whole."""
        if not self.files or not all(f.per_year and f.years is not None for f in self.files):
            return None
        return tuple(sorted({year for f in self.files for year in f.years.years()}))

    def licence_of(self, spec: FileSpec) -> str:
        return spec.licence or self.licence

    def attribution_of(self, spec: FileSpec) -> str:
        return spec.attribution or self.attribution


class FileMatch(NamedTuple):
    """What a file name is, according to the catalog."""

    dataset: Dataset
    file: FileSpec
    year: int | None


@dataclass(frozen=True)
class Catalog:
    datasets: tuple[Dataset, ...]
    path: Path | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.datasets)

    @property
    def raw_dataset_ids(self) -> tuple[str, ...]:
        """The datasets loaded into raw tables, in catalog order: all but the map's references."""
        return tuple(d.id for d in self.datasets if d.domain != REFERENCE_DOMAIN)

    def dataset(self, dataset_id: str) -> Dataset:
        for dataset in self.datasets:
            if dataset.id == dataset_id:
                return dataset
        raise CatalogError(f"unknown dataset {dataset_id!r}; the catalog has: {', '.join(self.ids)}")

    def files(self, dataset_id: str | None = None) -> tuple[FileSpec, ...]:
        datasets = self.datasets if dataset_id is None else (self.dataset(dataset_id),)
        return tuple(spec for d in datasets for spec in d.files)

    def match_filename(self, name: str) -> FileMatch | None:
        """The catalog entry a file name belongs to, or None when it matches none. A hint only:
        files are recognised by their content (ingestion/recognise.py), the name decides only
        when the content does not."""
        base = Path(name).name
        for dataset in self.datasets:
            for spec in dataset.files:
                matched, year = spec.match(base)
                if matched:
                    return FileMatch(dataset, spec, year)
        return None


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read and validate the catalog (``ingestion/catalog.yml`` by default)."""
    source = Path(path) if path is not None else DEFAULT_CATALOG_PATH
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read the catalog {source}: {exc.strerror or exc}") from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogError(f"catalog {source} is not valid YAML: {exc}") from exc
    return parse_catalog(document, path=source)


def parse_catalog(document: Any, *, path: Path | None = None) -> Catalog:
    """Validate an already-loaded catalog document (a mapping with a ``datasets`` list)."""
    where = f"catalog {path}" if path is not None else "catalog"
    if not isinstance(document, Mapping) or not isinstance(document.get("datasets"), list):
        raise CatalogError(f"{where}: expected a mapping with a 'datasets' list at the top")
    datasets = tuple(_dataset(raw, where) for raw in document["datasets"])
    _check_unique([d.id for d in datasets], f"{where}: dataset id")
    _check_filenames_distinct(datasets, where)
    return Catalog(datasets=datasets, path=path)


def _dataset(raw: Any, where: str) -> Dataset:
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where}: every dataset must be a mapping, found {raw!r}")
    ds_id = raw.get("id")
    label = f"{where}, dataset {ds_id}"
    _check_keys(raw, required=_DATASET_FIELDS, optional=_DATASET_OPTIONAL, label=label)
    if not isinstance(ds_id, str) or not _ID.match(ds_id):
        raise CatalogError(f"{where}: dataset id must be lower_snake_case text, found {ds_id!r}")
    text = {key: _text(raw[key], f"{label}: {key}") for key in _DATASET_FIELDS if key not in ("id", "files")}
    limit = raw.get("max_unpacked_mb")
    if limit is not None and (type(limit) is not int or limit <= 0):
        raise CatalogError(f"{label}: max_unpacked_mb must be a whole number of MB above 0, found {limit!r}")
    if text["cadence"] not in CADENCES:
        raise CatalogError(f"{label}: cadence must be one of {sorted(CADENCES)}, found {text['cadence']!r}")
    if not isinstance(raw["files"], list) or not raw["files"]:
        raise CatalogError(f"{label}: 'files' must be a non-empty list")
    files = tuple(_file(ds_id, entry, label) for entry in raw["files"])
    _check_unique([f.id for f in files], f"{label}: file id")
    return Dataset(id=ds_id, files=files, max_unpacked_mb=limit, **text)


def _file(ds_id: str, raw: Any, dataset_label: str) -> FileSpec:
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{dataset_label}: every file must be a mapping, found {raw!r}")
    label = f"{dataset_label}, file {raw.get('id')}"
    _check_keys(raw, required=_FILE_REQUIRED, optional=_FILE_OPTIONAL, label=label)
    file_id = raw["id"]
    if not isinstance(file_id, str) or not _ID.match(file_id):
        raise CatalogError(f"{dataset_label}: file id must be lower_snake_case text, found {file_id!r}")
    layout = _text(raw["layout"], f"{label}: layout")
    if layout not in KNOWN_LAYOUTS:
        raise CatalogError(f"{label}: unknown layout {layout!r}; known layouts: {', '.join(sorted(KNOWN_LAYOUTS))}")
    filename = _text(raw["filename"], f"{label}: filename")
    if "/" in filename or "\\" in filename or filename.startswith("."):
        raise CatalogError(f"{label}: filename must be a plain file name, found {filename!r}")
    url = None if raw["url"] is None else _text(raw["url"], f"{label}: url")
    if url is not None and not url.startswith(("https://", "http://")):
        raise CatalogError(f"{label}: url must start with https:// or http://, found {url!r}")
    vintage = raw["vintage"]
    if vintage not in (VINTAGE_PER_YEAR, VINTAGE_RETRIEVED):
        raise CatalogError(f"{label}: vintage must be '{{year}}' or 'retrieved', found {vintage!r}")
    per_year = vintage == VINTAGE_PER_YEAR
    for field_name, value in (("filename", filename), ("url", url)):
        if value is not None and (_YEAR in value) != per_year:
            expected = "contain" if per_year else "not contain"
            raise CatalogError(f"{label}: with vintage {vintage!r} the {field_name} must {expected} {{year}}")
    sample = raw.get("sample", False)
    if not isinstance(sample, bool):
        raise CatalogError(f"{label}: sample must be true or false, found {sample!r}")
    optional_text = {
        key: None if raw.get(key) is None else _text(raw[key], f"{label}: {key}")
        for key in ("member", "licence", "attribution", "note")
    }
    if optional_text["member"] is not None and not filename.lower().endswith(".zip"):
        raise CatalogError(f"{label}: member is only meaningful for a .zip file, not {filename!r}")
    return FileSpec(
        signature=_signature(raw.get("signature"), label),
        coverage=_coverage(raw.get("coverage", NATIONAL), label),
        dataset=ds_id,
        id=file_id,
        layout=layout,
        filename=filename,
        url=url,
        years=_years(raw["years"], label),
        vintage=vintage,
        map_vintage=_map_rules(raw["map_vintage"], label),
        sample=sample,
        **optional_text,
    )


def _signature(raw: Any, label: str) -> FileSignature | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not raw:
        raise CatalogError(f"{label}: signature must be a mapping with labels and/or member, found {raw!r}")
    extra = sorted(set(raw) - set(_SIGNATURE_FIELDS))
    if extra:
        raise CatalogError(f"{label}: unknown signature field(s) {extra}; allowed: {list(_SIGNATURE_FIELDS)}")
    labels = raw.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) and x.strip() for x in labels):
        raise CatalogError(f"{label}: signature labels must be a list of non-empty texts, found {labels!r}")
    member = raw.get("member")
    if member is not None:
        member = _text(member, f"{label}: signature member")
    if not labels and member is None:
        raise CatalogError(f"{label}: signature must list labels or name a member")
    return FileSignature(labels=tuple(labels), member=member)


def _coverage(raw: Any, label: str) -> tuple[str, ...]:
    if raw == NATIONAL:
        return ISO_REGIONS
    ok = isinstance(raw, list) and raw and all(r in ISO_REGIONS for r in raw) and len(set(raw)) == len(raw)
    if not ok:
        raise CatalogError(
            f"{label}: coverage must be 'national' or a list of distinct regions among {list(ISO_REGIONS)}, "
            f"found {raw!r}"
        )
    return tuple(r for r in ISO_REGIONS if r in raw)


def _years(raw: Any, label: str) -> YearRange | None:
    if raw is None:
        return None
    ok = isinstance(raw, list) and len(raw) == 2 and all(type(y) is int for y in raw)
    if not ok or raw[0] > raw[1]:
        raise CatalogError(f"{label}: years must be null or [first, last] with first <= last, found {raw!r}")
    return YearRange(raw[0], raw[1])


def _map_rules(raw: Any, label: str) -> tuple[MapVintageRule, ...]:
    if not isinstance(raw, Mapping) or not raw:
        raise CatalogError(f"{label}: map_vintage must be a mapping of year ranges to 589, 581 or 565, found {raw!r}")
    rules = []
    for key, value in raw.items():
        found = _RANGE.fullmatch(str(key))
        if found is None or (found["first"] is None and found["dots"] is None):
            raise CatalogError(
                f"{label}: map_vintage range {key!r} is not one of '..YYYY', 'YYYY..YYYY', 'YYYY..', '..' or 'YYYY'"
            )
        first = int(found["first"]) if found["first"] else None
        last = int(found["last"]) if found["last"] else (None if found["dots"] else first)
        if first is not None and last is not None and first > last:
            raise CatalogError(f"{label}: map_vintage range {key!r} ends before it starts")
        if value not in MAP_VINTAGES:
            raise CatalogError(f"{label}: map_vintage {value!r} for {key!r} is not one of {sorted(MAP_VINTAGES)}")
        rules.append(MapVintageRule(first, last, value))
    rules.sort(key=lambda r: -(10**6) if r.first is None else r.first)
    for before, after in zip(rules, rules[1:]):
        if before.last is None or after.first is None or after.first <= before.last:
            raise CatalogError(f"{label}: map_vintage ranges overlap: {dict(raw)}")
    return tuple(rules)


def _check_keys(raw: Mapping[str, Any], *, required: tuple[str, ...], optional: tuple[str, ...], label: str) -> None:
    missing = [k for k in required if k not in raw]
    if missing:
        raise CatalogError(f"{label}: missing field(s) {missing}")
    extra = sorted(set(raw) - set(required) - set(optional))
    if extra:
        raise CatalogError(f"{label}: unknown field(s) {extra}; allowed: {sorted(required + optional)}")


def _text(value: Any, label: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{label} must be non-empty text, found {value!r}")
    return value


def _check_unique(values: list[str], label: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise CatalogError(f"{label} {value!r} appears twice")
        seen.add(value)


def _check_filenames_distinct(datasets: tuple[Dataset, ...], where: str) -> None:
    # A file name must lead to one catalog entry, or --source-dir could not tell them apart.
    # Per-year patterns are compared with a probe year, which is enough for literal patterns.
    owner: dict[str, str] = {}
    for dataset in datasets:
        for spec in dataset.files:
            probe = spec.filename.replace(_YEAR, "2000").lower()
            if probe in owner:
                raise CatalogError(
                    f"{where}: {spec.label} and {owner[probe]} have the same file name {spec.filename!r}"
                )
            owner[probe] = spec.label
