"""Errors a user can act on: each names the dataset, the file and where in it."""

from __future__ import annotations


class CohesionError(Exception):
    """Base class: every error the pipeline raises on purpose."""


class ParseError(CohesionError):
    """A publisher file does not have the layout or content its parser expects."""

    def __init__(
        self,
        dataset: str,
        file: str,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.dataset = dataset
        self.file = file
        self.problem = problem
        self.row = row
        self.column = column
        where = [f"dataset {dataset}", f"file {file}"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {problem}")


class CatalogError(CohesionError):
    """The dataset catalog or a config file is invalid."""


class DownloadError(CohesionError):
    """A download failed or delivered something that is not the expected file."""


class ArchiveError(CohesionError):
    """The raw archive refused an operation (it never overwrites or deletes)."""


class PublishError(CohesionError):
    """A release could not be written, verified or published; the previous one stays."""


class RecognitionError(CohesionError):
    """A file's content matches two layouts or catalog entries, or contradicts itself (two
    years); or, for :class:`UnmatchedFileError`, matches nothing. ``verdicts`` holds, layout by
    layout, why the file does (None) or does not have its signature; ``kind`` what the file is
    (zip, xlsx, xls, text, ...)."""

    def __init__(
        self, file: str, problem: str, *, verdicts: tuple = (), kind: str | None = None, spec: object = None
    ) -> None:
        self.file = file
        self.problem = problem
        self.verdicts = verdicts
        self.kind = kind
        # The catalog entry the content was recognised as, when the trouble came after (its year).
        self.spec = spec
        super().__init__(f"{file}: {problem}")


class UnmatchedFileError(RecognitionError):
    """A file matches no layout, or no catalog entry of the layout it has."""


class CoverageError(CohesionError):
    """A file the catalog declares national has no value at all in a whole region."""
