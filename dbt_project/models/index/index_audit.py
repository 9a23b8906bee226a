"""The coherence audit of each edition of the index (METHOD.md section 3.9): correlations between
indicators and with their domain and the index, Cronbach's alpha per domain, principal components
of the indicators and of the domains, and which of them fail the methodology's thresholds. Reads
the index's own tables (it never recomputes the index). Grain: year x measure x item x other."""

from kernels import warehouse
from kernels.audit import audit


def model(dbt, session):
    dbt.config(materialized="table")
    m = warehouse.methodology()
    frame = audit(
        warehouse.in_key_order(dbt.ref("index_indicator_values").df()),
        warehouse.in_key_order(dbt.ref("index_domains").df()),
        warehouse.in_key_order(dbt.ref("index_cohesion").df()),
        m,
    )
    return frame.assign(methodology_version=m.version)
