{{ config(alias="value_labels") }}
-- Labels, in English, French and Dutch, of every coded value a published table holds (fund
-- status, bound, budget line, needs driver, treatment and its method, domain, scope, change,
-- flags), so that a reader or a workbook never shows a bare code.
select
    cast(column_name as varchar) as column_name,
    cast(value as varchar) as value,
    cast(label_en as varchar) as label_en,
    cast(label_fr as varchar) as label_fr,
    cast(label_nl as varchar) as label_nl
from {{ ref('value_labels') }}
