"""The dbt project's own SQL files, rendered without dbt, to run in an in-memory DuckDB.

`cohesion parse FILE --harmonise` moves one file onto the 565-commune map before anything is
loaded; it must do so by the warehouse's rules, not by a copy of them that can drift. So it
runs the dbt models themselves (``stg_raw__<dataset>``, ``harmonised_commune_map``,
``harmonised_<dataset>``) and their macros, read from ``dbt_project/`` and rendered with jinja2
(the template engine dbt itself renders them with). ingestion may not import dbt
(tests/unit/test_layering.py), and dbt's runtime would need a manifest and a profile anyway.

Only the dbt functions those files call are given here, each rendering as dbt-duckdb renders it
(as in ``dbt_project/target/compiled``). A model that calls anything else fails with jinja's
``UndefinedError`` naming it, rather than rendering SQL that dbt would not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb
import jinja2
import yaml

from ingestion.reference import SEEDS_DIR, seed
from ingestion.settings import DBT_PROJECT_DIR

# The macros the staging and harmonised models call (dbt_project/macros/<name>.sql).
MACROS: tuple[str, ...] = ("stage_canonical", "harmonise_to_565")


class _Dbt:
    """The ``dbt.*`` cross-database macros the models call, as dbt-duckdb renders them."""

    @staticmethod
    def type_string() -> str:
        return "TEXT"

    @staticmethod
    def type_int() -> str:
        return "integer"

    @staticmethod
    def length(expression: str) -> str:
        return f"length({expression})"


def _ref(name: str) -> str:
    return f'"{name}"'


def _source(schema: str, name: str) -> str:
    return f'"{schema}"."{name}"'


@cache
def _environment() -> jinja2.Environment:
    return _make_environment(_ref, _source)


def _make_environment(ref: Callable[[str], str], source: Callable[[str, str], str]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(DBT_PROJECT_DIR),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.do"],
        keep_trailing_newline=True,
    )
    helpers: dict[str, Callable[..., str] | _Dbt] = {
        "ref": ref,
        "source": source,
        "dbt": _Dbt(),
        # macros/cross_db.sql dispatches this per adapter; its duckdb__ implementation.
        "type_double": lambda: "double",
    }
    env.globals.update(helpers)
    for name in MACROS:
        env.globals[name] = getattr(env.get_template(f"macros/{name}.sql").module, name)
    return env


@dataclass(frozen=True)
class Dependencies:
    """What a model reads: the models and seeds it refs, the (schema, table) sources it reads."""

    refs: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]


@cache
def dependencies(layer: str, name: str) -> Dependencies:
    """The refs and sources of model ``models/<layer>/<name>.sql``, its macros' included."""
    refs: list[str] = []
    sources: list[tuple[str, str]] = []

    def ref(model: str) -> str:
        refs.append(model)
        return _ref(model)

    def source(schema: str, table: str) -> str:
        sources.append((schema, table))
        return _source(schema, table)

    _make_environment(ref, source).get_template(_model_file(layer, name)).render()
    return Dependencies(tuple(dict.fromkeys(refs)), tuple(dict.fromkeys(sources)))


def create_model(connection: duckdb.DuckDBPyConnection, layer: str, name: str, *, made: set[str] | None = None) -> None:
    """Model ``name`` as a table of ``connection``, after every model and seed it refs. The
    sources it reads must be tables of the connection already.

    Tables, not views: a model read twice (the harmonisation macro reads its staging model twice)
    is then computed once; in memory, for one file, the copy costs little.
    """
    made = set() if made is None else made
    for ref in dependencies(layer, name).refs:
        if ref in made:
            continue
        if (SEEDS_DIR / f"{ref}.csv").is_file():
            load_seed(connection, ref)
        else:
            create_model(connection, _layer_of(ref), ref, made=made)
        made.add(ref)
    connection.execute(f'create table "{name}" as {render_model(layer, name)}')
    made.add(name)


def models(layer: str) -> tuple[str, ...]:
    """The names of the models of one layer, in name order."""
    return tuple(sorted(path.stem for path in (DBT_PROJECT_DIR / "models" / layer).glob("*.sql")))


def render_model(layer: str, name: str) -> str:
    """The SQL of model ``models/<layer>/<name>.sql``: ``ref('x')`` is the table ``"x"`` and
    ``source('s', 'x')`` the table ``"s"."x"`` of the connection it will run in."""
    return _environment().get_template(_model_file(layer, name)).render()


def _layer_of(name: str) -> str:
    found = sorted(path.parent.name for path in (DBT_PROJECT_DIR / "models").glob(f"*/{name}.sql"))
    if len(found) != 1:
        raise FileNotFoundError(f"the dbt project has {len(found)} models named {name} ({', '.join(found) or 'none'})")
    return found[0]


def _model_file(layer: str, name: str) -> str:
    path = DBT_PROJECT_DIR / "models" / layer / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"the dbt project has no model {layer}/{name} ({path})")
    return f"models/{layer}/{name}.sql"


@cache
def _seed_column_types() -> dict[str, dict[str, str]]:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    seeds: dict[str, Any] = project.get("seeds", {}).get("cohesion", {})
    return {name: dict(config.get("+column_types", {})) for name, config in seeds.items() if isinstance(config, dict)}


def load_seed(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    """The seed ``name`` as table ``"name"``, with the column types dbt_project.yml gives it.

    Its other columns stay text, where dbt would guess a type from the values: the models run
    here read only the typed columns (codes, ``additive``) of the seeds they use.
    """
    frame = seed(name)
    types = _seed_column_types().get(name, {})
    columns = ", ".join(
        f'cast("{c}" as {types[c]}) as "{c}"' if c in types else f'"{c}"' for c in frame.columns
    )
    connection.register("seed_rows", frame)
    connection.execute(f'create or replace table "{name}" as select {columns} from seed_rows')
    connection.unregister("seed_rows")
