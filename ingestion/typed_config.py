"""Typed configuration files: the base of the pydantic models that read them (the catalog, the
methodology, the fund rules), and the one formatter that turns pydantic's ValidationError into the
one-line ``key 'a.b': problem`` every config error gives.

A validator raises :func:`problem` with the sentence a user reads; pydantic adds where it happened
(the location of the value); :func:`first_problem` joins the two into a dotted key. Pydantic's own
errors (a missing key, an unknown key, a block that is not a mapping) are worded here, once.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any, Union, get_args, get_origin

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


def first_problem(
    error: ValidationError, data: Any, schema: type[BaseModel], *, root: str, unknown: UnknownKeys
) -> tuple[str, str]:
    """(dotted key, problem) of the first error, as the file's users read it. ``data`` is what was
    validated (a list index is written ``[i]``); ``schema`` the model it was validated against (for
    the keys an unknown one could have meant); ``root`` names the document itself."""
    errors = error.errors(include_url=False)
    first = errors[0]
    loc, kind, ctx = first["loc"], first["type"], first.get("ctx") or {}
    if kind == "extra_forbidden":
        # Every unknown key of the same block, in one message.
        parent = loc[:-1]
        extras = sorted(str(e["loc"][-1]) for e in errors if e["type"] == "extra_forbidden" and e["loc"][:-1] == parent)
        return unknown(_dotted(parent, data) or None, extras, sorted(_keys_at(schema, parent)))
    key = _dotted(loc, data)
    if kind == "config":
        if ctx.get("at"):
            key = f"{key}.{ctx['at']}" if key else str(ctx["at"])
        return key or root, str(ctx["problem"])
    if kind == "missing":
        return key or root, "missing key"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        value = first["input"]
        return key or root, f"expected a mapping, found {type(value).__name__} {value!r}"
    return key or root, first["msg"]


def _dotted(loc: tuple[int | str, ...], data: Any) -> str:
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
