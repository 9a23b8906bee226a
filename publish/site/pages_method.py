"""The method and sources page: release versions, the index editions and the fund's years, the
sources with their checksums, the checks that gated the release, and the data dictionary."""

from __future__ import annotations

import pandas as pd

from publish.site.data import ReleaseData
from publish.site.html import Frame, e, page, table
from publish.site.i18n import text


def _cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return e(value)


def _yes_no(value, lang: str) -> str:
    return e(text("yes" if bool(value) else "no", lang))


def method_page(data: ReleaseData, frame: Frame, lang: str) -> str:
    con, release = data.con, data.release
    parts = [f'<h1>{e(text("method", lang))}</h1>']
    facts = [
        ("release", release["release_id"]), ("created_at", release["created_at"]), ("data_origin", release["data_origin"]),
        ("methodology_version", release["methodology_version"]), ("rules_version", release["rules_version"]),
        ("code_version", release["code_version"]),
    ]
    parts.append(table([("", False), ("", False)], [[e(text(k, lang)), f'<span id="{k}">{_cell(v)}</span>'] for k, v in facts],
                       attrs=' id="release-facts"'))

    editions = con.execute(
        "select year, scope, published, indicators, left_out, reason, communes_scored from index_editions order by scope, year"
    ).fetchall() if "index_editions" in data.tables else []
    parts.append(f'<h2 id="editions">{e(text("editions_title", lang))}</h2>')
    parts.append(table(
        [(text("edition", lang), False), ("scope", False), ("published", False), ("indicators", False), ("left_out", False),
         ("reason", False), ("communes_scored", True)],
        [[str(y), e(data.label("scope", s, lang)), _yes_no(p, lang), _cell(i), _cell(lo), _cell(r), _cell(n)]
         for y, s, p, i, lo, r, n in editions],
        attrs=' id="editions-table"',
    ))
    if "fund_editions" in data.tables:
        fund = con.execute("select year, scope, computed, eligible_communes, reason from fund_editions order by year").fetchall()
        parts.append(f'<h2 id="fund-editions">{e(text("fund_editions_title", lang))}</h2>')
        parts.append(table(
            [(text("year", lang), False), ("scope", False), ("computed", False), ("eligible_communes", True), ("reason", False)],
            [[str(y), _cell(s), _yes_no(c, lang), _cell(n), _cell(r)] for y, s, c, n, r in fund],
        ))

    definitions = data.definitions
    parts.append(f'<h2 id="definitions">{e(text("definitions_title", lang))}</h2>')
    parts.append(table(
        [(text("indicator", lang), False), (text("domain", lang), False), (text("unit", lang), False), ("direction", True), ("formula", False)],
        [[f"<code>{e(r['indicator'])}</code><br>{e(r[f'description_{lang}'])}", e(data.label("domain", r["domain"], lang)),
          e(r["unit"]), e(r["direction"]), f"<code>{e(r['formula'])}</code>"] for r in definitions.to_dict("records")],
    ))
    if len(data.flag_definitions):
        parts.append(f'<h2 id="flags">{e(text("flags_title", lang))}</h2>')
        parts.append(table(
            [("flag", False), ("", False)],
            [[f"<code>{e(r['flag'])}</code>", e(r[f"description_{lang}"])] for r in data.flag_definitions.to_dict("records")],
        ))

    sources = con.execute(
        "select dataset, vintage, file, url, sha256, licence, attribution from _sources order by dataset, vintage, file"
    ).fetchall()
    parts.append(f'<h2 id="sources">{e(text("sources_title", lang))}</h2>')
    parts.append(table(
        [("dataset", False), ("vintage", False), ("file", False), ("sha256", False), ("licence", False), ("attribution", False)],
        [[_cell(d), _cell(v), (f'<a href="{e(u)}">{_cell(f)}</a>' if u else _cell(f)), f"<code>{_cell(s)}</code>", _cell(li), _cell(a)]
         for d, v, f, u, s, li, a in sources],
        attrs=' id="sources-table"',
    ))

    quality = con.execute("select check_name, asset, passed, severity, summary from _quality order by asset, check_name").fetchall()
    passed = sum(1 for q in quality if q[2])
    parts.append(f'<h2 id="quality">{e(text("quality_title", lang))}</h2>')
    parts.append(f'<p id="quality-summary">{e(text("quality_intro", lang, passed=passed, total=len(quality)))}</p>')
    parts.append(f"<details><summary>{e(text('quality_title', lang))}</summary>" + table(
        [("check_name", False), ("asset", False), ("", False), ("severity", False), ("summary", False)],
        [[_cell(c), _cell(a), e(text("passed" if p else "failed", lang)), _cell(s), _cell(m)] for c, a, p, s, m in quality],
    ) + "</details>")

    dictionary = con.execute(
        f"select table_name, column_name, description_{lang}, unit, allowed_values, min_value, max_value "
        "from _data_dictionary order by table_name, column_name"
    ).fetchall()
    parts.append(f'<h2 id="dictionary">{e(text("dictionary_title", lang))}</h2>')
    parts.append(f"<details><summary>{e(text('dictionary_title', lang))}</summary>" + table(
        [("table_name", False), ("column_name", False), ("", False), (text("unit", lang), False), ("allowed_values", False),
         ("min_value", True), ("max_value", True)],
        [[_cell(t), f"<code>{_cell(c)}</code>", _cell(d), _cell(u), _cell(a), _cell(lo), _cell(hi)]
         for t, c, d, u, a, lo, hi in dictionary],
        attrs=' id="dictionary-table"',
    ) + "</details>")
    return page(frame, lang=lang, depth=1, path_in_lang="method.html", title=text("method", lang), body="".join(parts))
