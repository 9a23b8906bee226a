"""Typed configuration files: the base of the pydantic models that read them (the catalog, the
methodology, the fund rules), and the one formatter that turns pydantic's ValidationError into the
one-line ``key 'a.b': problem`` every config error gives.

A validator raises :func:`problem` with the sentence a user reads; pydantic adds where it happened
(the location of the value); :func:`first_problem` gathers the two, and pydantic's own errors (a
missing key, an unknown key, a block that is not a mapping), into a :class:`Problem`;
:func:`keyed` words it as ``key 'a.b': problem``. The catalog words it by dataset and file.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

# (parent key or None at the top, unknown keys, expected keys) -> (key, problem)
UnknownKeys = Callable[[str | None, list[str], list[str]], tuple[str, str]]


class ConfigModel(BaseModel):
    """A block of a config file: a key the model does not declare is an error (a misspelt
    parameter must not be ignored), and a loaded value never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def problem(text: str, at: str | None = None) -> PydanticCustomError:
    """The error a validator raises: ``text`` is what the user reads; ``at`` a key below the value
    checked (a model validator names the field at fault)."""
    return PydanticCustomError("config", "{problem}", {"problem": text, "at": at})


class Problem(NamedTuple):
    """The first error of a validation, in the file's terms."""

    loc: tuple[int | str, ...]  # the value at fault; for missing or unknown keys, their block
    text: str  # the sentence a validator raised ("" for missing or unknown keys)
    missing: tuple[str, ...] = ()  # keys the block lacks, in the model's order
    unknown: tuple[str, ...] = ()  # keys the block holds but the model does not declare, sorted
    expected: tuple[str, ...] = ()  # the keys the block may hold, sorted (with unknown keys)


def first_problem(error: ValidationError, schema: type[BaseModel]) -> Problem:
    """The first error, with every missing or unknown key of the same block gathered. ``schema``
    is the model validated (for the keys an unknown one could have meant)."""
    errors = error.errors(include_url=False)
    first = errors[0]
    loc, kind, ctx = first["loc"], first["type"], first.get("ctx") or {}
    if kind in ("missing", "extra_forbidden"):
        parent = loc[:-1]
        keys = tuple(str(e["loc"][-1]) for e in errors if e["type"] == kind and e["loc"][:-1] == parent)
        if kind == "missing":
            return Problem(parent, "", missing=keys)
        return Problem(parent, "", unknown=tuple(sorted(keys)), expected=tuple(sorted(_keys_at(schema, parent))))
    if kind == "config":
        at = tuple(str(ctx["at"]).split(".")) if ctx.get("at") else ()
        return Problem((*loc, *at), str(ctx["problem"]))
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        value = first["input"]
        return Problem(loc, f"expected a mapping, found {type(value).__name__} {value!r}")
    return Problem(loc, first["msg"])


def keyed(problem: Problem, data: Any, *, root: str, unknown: UnknownKeys) -> tuple[str, str]:
    """(dotted key, problem) as the methodology and the fund rules word them: ``data`` is what was
    validated (a list index is written ``[i]``), ``root`` names the document itself."""
    key = dotted(problem.loc, data)
    if problem.unknown:
        return unknown(key or None, list(problem.unknown), list(problem.expected))
    if problem.missing:
        return dotted((*problem.loc, problem.missing[0]), data), "missing key"
    return key or root, problem.text


def dotted(loc: tuple[int | str, ...], data: Any) -> str:
    key, node = "", data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list):
            key += f"[{part}]"
        else:
            key = f"{key}.{part}" if key else str(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return key


def _keys_at(schema: Any, loc: tuple[int | str, ...]) -> list[str]:
    """The keys the block at ``loc`` may hold: the fields (by their name in the file) of the model
    found by walking the annotations down from ``schema``."""
    tp = schema
    for part in loc:
        tp = _without_none(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            tp = next(f.annotation for name, f in tp.model_fields.items() if (f.alias or name) == part)
        else:  # dict[K, V] -> V, list[V] / tuple[V, ...] -> V
            args = get_args(tp)
            tp = args[-1] if get_origin(tp) in (dict, Mapping) else args[0]
    tp = _without_none(tp)
    return [f.alias or name for name, f in tp.model_fields.items()]


def _without_none(tp: Any) -> Any:
    if get_origin(tp) in (Union, types.UnionType):
        return next(arg for arg in get_args(tp) if arg is not type(None))
    return tp
