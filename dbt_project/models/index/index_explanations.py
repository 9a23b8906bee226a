"""Plain-language explanation of each commune's index per year and language (fr, nl, en):
contributions, strengths and weaknesses, largest changes since the previous edition, and the
reference period of every value older than the edition (METHOD.md section 3.9). Grain: commune x
edition year x language."""

import pandas as pd

from kernels import warehouse
from kernels.explain import explain_all


def model(dbt, session):
    dbt.config(materialized="table")
    m = warehouse.methodology()
    communes = dbt.ref("stg_reference__communes").df()
    indicators = dbt.ref("indicators_commune_indicators").df()
    result = warehouse.index_result(indicators, communes, dbt.ref("index_inputs").df())
    periods = warehouse.reference_periods(warehouse.edition_plan(indicators, communes, m))
    texts = []
    for lang in ("fr", "nl", "en"):
        # Each language names the commune in its own language where the commune has one.
        column = {"fr": "name_fr", "nl": "name_nl", "en": "name_fr"}[lang]
        localised = dict(zip(communes["nis_code"].astype(str), communes[column], strict=True))
        texts.append(explain_all(result, m, localised, langs=(lang,), reference_periods=periods))
    return pd.concat(texts, ignore_index=True).assign(methodology_version=m.version)
