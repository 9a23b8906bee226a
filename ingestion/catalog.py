"""The dataset catalog (``catalog.yml``): which files each dataset reads, where from, and how.

:func:`load_catalog` validates the YAML into frozen pydantic models (an unknown field anywhere is
an error) and raises :class:`~ingestion.errors.CatalogError` naming the dataset, the file and the
field at fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import yaml
from pydantic import PlainValidator, PrivateAttr, ValidationError, ValidationInfo, field_validator, model_validator

from ingestion.canonical import MAP_VINTAGES
from ingestion.errors import CatalogError
from ingestion.geography import ISO_REGIONS
from ingestion.typed_config import ConfigModel, Problem, first_problem, problem

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


# --- values: each check raises the sentence the user reads, naming its field ---------------------


def _text(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str) or not value.strip():
        raise problem(f"{info.field_name} must be non-empty text, found {value!r}")
    return value


def _optional_text(value: Any, info: ValidationInfo) -> str | None:
    return None if value is None else _text(value, info)


def _entry_id(what: str) -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not _ID.match(value):
            raise problem(f"{what} id must be lower_snake_case text, found {value!r}")
        return value

    return Annotated[str, PlainValidator(check)]


def _layout(value: Any, info: ValidationInfo) -> str:
    layout = _text(value, info)
    if layout not in KNOWN_LAYOUTS:
        raise problem(f"unknown layout {layout!r}; known layouts: {', '.join(sorted(KNOWN_LAYOUTS))}")
    return layout


def _filename(value: Any, info: ValidationInfo) -> str:
    filename = _text(value, info)
    if "/" in filename or "\\" in filename or filename.startswith("."):
        raise problem(f"filename must be a plain file name, found {filename!r}")
    return filename


def _url(value: Any, info: ValidationInfo) -> str | None:
    url = _optional_text(value, info)
    if url is not None and not url.startswith(("https://", "http://")):
        raise problem(f"url must start with https:// or http://, found {url!r}")
    return url


def _vintage(value: Any) -> str:
    if value not in (VINTAGE_PER_YEAR, VINTAGE_RETRIEVED):
        raise problem(f"vintage must be '{{year}}' or 'retrieved', found {value!r}")
    return value


def _sample(value: Any) -> bool:
    if not isinstance(value, bool):
        raise problem(f"sample must be true or false, found {value!r}")
    return value


def _coverage(value: Any) -> tuple[str, ...]:
    if value == NATIONAL:
        return ISO_REGIONS
    items = value if isinstance(value, list) else None
    if not items or not all(r in ISO_REGIONS for r in items) or len(set(items)) != len(items):
        raise problem(
            f"coverage must be 'national' or a list of distinct regions among {list(ISO_REGIONS)}, found {value!r}"
        )
    return tuple(r for r in ISO_REGIONS if r in items)


def _years(value: Any) -> YearRange | None:
    if value is None:
        return None
    ok = isinstance(value, list) and len(value) == 2 and all(type(y) is int for y in value)
    if not ok or value[0] > value[1]:
        raise problem(f"years must be null or [first, last] with first <= last, found {value!r}")
    return YearRange(value[0], value[1])


def _map_rules(value: Any) -> tuple[MapVintageRule, ...]:
    if not isinstance(value, Mapping) or not value:
        raise problem(f"map_vintage must be a mapping of year ranges to 589, 581 or 565, found {value!r}")
    rules = []
    for key, vintage in value.items():
        found = _RANGE.fullmatch(str(key))
        if found is None or (found["first"] is None and found["dots"] is None):
            raise problem(f"map_vintage range {key!r} is not one of '..YYYY', 'YYYY..YYYY', 'YYYY..', '..' or 'YYYY'")
        first = int(found["first"]) if found["first"] else None
        last = int(found["last"]) if found["last"] else (None if found["dots"] else first)
        if first is not None and last is not None and first > last:
            raise problem(f"map_vintage range {key!r} ends before it starts")
        if vintage not in MAP_VINTAGES:
            raise problem(f"map_vintage {vintage!r} for {key!r} is not one of {sorted(MAP_VINTAGES)}")
        rules.append(MapVintageRule(first, last, vintage))
    rules.sort(key=lambda r: -(10**6) if r.first is None else r.first)
    for before, after in zip(rules, rules[1:]):
        if before.last is None or after.first is None or after.first <= before.last:
            raise problem(f"map_vintage ranges overlap: {dict(value)}")
    return tuple(rules)


def _max_unpacked(value: Any) -> int | None:
    if value is not None and (type(value) is not int or value <= 0):
        raise problem(f"max_unpacked_mb must be a whole number of MB above 0, found {value!r}")
    return value


def _cadence(value: Any, info: ValidationInfo) -> str:
    cadence = _text(value, info)
    if cadence not in CADENCES:
        raise problem(f"cadence must be one of {sorted(CADENCES)}, found {cadence!r}")
    return cadence


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise problem(f"{what} {value!r} appears twice")
        seen.add(value)


Text = Annotated[str, PlainValidator(_text)]
OptionalText = Annotated[str | None, PlainValidator(_optional_text)]


# --- the catalog's blocks ------------------------------------------------------------------------


def _labels(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        raise problem(f"signature labels must be a list of non-empty texts, found {value!r}")
    return tuple(value)


def _signature_member(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise problem(f"signature member must be non-empty text, found {value!r}")
    return value


class FileSignature(ConfigModel):
    """What a file must hold to be this catalog entry rather than another of the same layout.

    ``labels``: every one must be among the file's own labels (Swing indicator labels, the
    header of a crosswalk); ``member``: a zip must hold a member matching this pattern.
    """

    labels: Annotated[tuple[str, ...], PlainValidator(_labels)] = ()
    member: Annotated[str | None, PlainValidator(lambda v: None if v is None else _signature_member(v))] = None

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, value: Any) -> Any:
        if not isinstance(value, Mapping) or not value:
            raise problem(f"signature must be a mapping with labels and/or member, found {value!r}")
        return value

    @model_validator(mode="after")
    def _says_something(self) -> FileSignature:
        if not self.labels and self.member is None:
            raise problem("signature must list labels or name a member")
        return self


class FileSpec(ConfigModel):
    """One publisher file of a dataset, as declared in the catalog."""

    id: _entry_id("file")
    layout: Annotated[str, PlainValidator(_layout)]
    filename: Annotated[str, PlainValidator(_filename)]
    url: Annotated[str | None, PlainValidator(_url)]
    years: Annotated[YearRange | None, PlainValidator(_years)]
    vintage: Annotated[str, PlainValidator(_vintage)]
    map_vintage: Annotated[tuple[MapVintageRule, ...], PlainValidator(_map_rules)]
    member: OptionalText = None
    sample: Annotated[bool, PlainValidator(_sample)] = False
    licence: OptionalText = None
    attribution: OptionalText = None
    note: OptionalText = None
    signature: FileSignature | None = None
    # The regions (ISO 3166-2) the publisher covers; all three for a national file.
    coverage: Annotated[tuple[str, ...], PlainValidator(_coverage)] = ISO_REGIONS
    _dataset: str = PrivateAttr("")  # the dataset holding the file, set by the dataset

    @model_validator(mode="after")
    def _names_match_the_vintage(self) -> FileSpec:
        for field_name, value in (("filename", self.filename), ("url", self.url)):
            if value is not None and (_YEAR in value) != self.per_year:
                expected = "contain" if self.per_year else "not contain"
                raise problem(f"with vintage {self.vintage!r} the {field_name} must {expected} {{year}}")
        if self.member is not None and not self.filename.lower().endswith(".zip"):
            raise problem(f"member is only meaningful for a .zip file, not {self.filename!r}")
        return self

    @property
    def dataset(self) -> str:
        return self._dataset

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


class Dataset(ConfigModel):
    id: _entry_id("dataset")
    publisher: Text
    title: Text
    licence: Text
    attribution: Text
    landing_page: Text
    domain: Text
    cadence: Annotated[str, PlainValidator(_cadence)]
    files: tuple[FileSpec, ...]
    # The most a file of this dataset may unpack to (a zip's or workbook's members, a text's
    # bytes), in MB: a file beyond it is refused before it is archived or parsed (a zip bomb, or
    # a wrong file). None: no limit (catalogs written in tests; catalog.yml sets one everywhere).
    max_unpacked_mb: Annotated[int | None, PlainValidator(_max_unpacked)] = None

    @field_validator("files", mode="before")
    @classmethod
    def _a_list_of_files(cls, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise problem("'files' must be a non-empty list")
        for entry in value:
            if not isinstance(entry, Mapping):
                raise problem(f"every file must be a mapping, found {entry!r}")
        return value

    @model_validator(mode="after")
    def _files_are_its_own(self) -> Dataset:
        _unique([f.id for f in self.files], "file id")
        for spec in self.files:
            spec._dataset = self.id
        return self

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


class Catalog(ConfigModel):
    datasets: tuple[Dataset, ...]
    _path: Path | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _a_list_of_datasets(cls, value: Any) -> Any:
        if not isinstance(value, Mapping) or not isinstance(value.get("datasets"), list):
            raise problem("expected a mapping with a 'datasets' list at the top")
        for entry in value["datasets"]:
            if not isinstance(entry, Mapping):
                raise problem(f"every dataset must be a mapping, found {entry!r}")
        return value

    @model_validator(mode="after")
    def _one_entry_per_name(self) -> Catalog:
        _unique([d.id for d in self.datasets], "dataset id")
        # A file name must lead to one catalog entry, or --source-dir could not tell them apart.
        # Per-year patterns are compared with a probe year, which is enough for literal patterns.
        owner: dict[str, str] = {}
        for spec in self.files():
            probe = spec.filename.replace(_YEAR, "2000").lower()
            if probe in owner:
                raise problem(f"{spec.label} and {owner[probe]} have the same file name {spec.filename!r}")
            owner[probe] = spec.label
        return self

    @property
    def path(self) -> Path | None:
        return self._path

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
        document = _yaml_document(text)
    except yaml.YAMLError as exc:
        raise CatalogError(f"catalog {source} is not valid YAML: {exc}") from exc
    return parse_catalog(document, path=source)


def _yaml_document(text: str) -> Any:
    """The YAML document, read by libyaml when PyYAML has it: the catalog is read by every raw
    asset and check (twenty times a run), and libyaml reads it in a sixth of the time. A text
    libyaml refuses is read again by PyYAML's own parser, whose error the message quotes as before."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.load(text, Loader=fast)  # noqa: S506 - CSafeLoader is the safe loader
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def parse_catalog(document: Any, *, path: Path | None = None) -> Catalog:
    """Validate an already-loaded catalog document (a mapping with a ``datasets`` list)."""
    where = f"catalog {path}" if path is not None else "catalog"
    try:
        catalog = Catalog.model_validate(document)
    except ValidationError as exc:
        raise CatalogError(_message(first_problem(exc, Catalog), document, where)) from None
    catalog._path = path
    return catalog


def _message(found: Problem, document: Any, where: str) -> str:
    """``catalog <path>, dataset <id>, file <id>: <problem>``: the entries the problem lies in,
    named by their ids; a bad id is reported by the level above it."""
    loc, label, node = found.loc, where, document
    while len(loc) >= 2 and loc[0] in ("datasets", "files") and isinstance(loc[1], int):
        if found.text and loc[2:] == ("id",):
            break
        node = node[loc[0]][loc[1]]
        label += f", {'dataset' if loc[0] == 'datasets' else 'file'} {node.get('id')}"
        loc = loc[2:]
    if found.missing:
        return f"{label}: missing field(s) {list(found.missing)}"
    if found.unknown:
        what = "signature field(s)" if found.loc[-1:] == ("signature",) else "field(s)"
        return f"{label}: unknown {what} {list(found.unknown)}; allowed: {list(found.expected)}"
    return f"{label}: {found.text}"
