"""The coherence audit of each edition of the index (METHOD.md 3.9; the JRC/OECD Handbook's
multivariate analysis, COINr's ``get_corr``, ``get_cronbach`` and ``get_PCA``).

Everything is computed on the normalised indicators the index used (direction applied, so a
positive correlation means "both say more need"), per edition year:

- ``indicator_correlation``: Pearson correlation of every pair of indicators (``item`` < ``other``
  in the methodology's order); fails above ``audit.max_indicator_correlation``: the two measure
  the same thing, keep one;
- ``correlation_with_domain`` and ``correlation_with_index``: each indicator against its domain
  score and against the index score; fails when negative (the indicator runs against its domain);
- ``cronbach_alpha`` per domain of at least two indicators, k / (k - 1) (1 - sum var_i / var_sum);
  fails below ``audit.min_cronbach_alpha``;
- ``pca_variance_share`` and ``pca_loading``: principal components of the correlation matrix of the
  indicators (``item`` = "indicators") and of the domain scores (``item`` = "domains"): the share
  of the variance each component explains, and each indicator's or domain's loading (the
  eigenvector scaled by the square root of its eigenvalue, sign fixed so the largest loading is
  positive).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kernels.methodology import Methodology

AUDIT_COLUMNS = ("year", "measure", "item", "other", "value", "threshold", "fails")
MEASURES = (
    "indicator_correlation", "correlation_with_domain", "correlation_with_index", "cronbach_alpha",
    "pca_variance_share", "pca_loading",
)


def cronbach_alpha(matrix: np.ndarray) -> float:
    """Cronbach's alpha of the columns of ``matrix`` (rows = communes); NaN for fewer than 2."""
    x = np.asarray(matrix, dtype=float)
    k = x.shape[1]
    if k < 2:
        return float("nan")
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var <= 0:
        return float("nan")
    # At most 1 mathematically; rounding must not publish 1.0000000000000002.
    return float(min(1.0, k / (k - 1) * (1.0 - item_var / total_var)))


def principal_components(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Variance shares (C,) and loadings (J, C) of the correlation matrix of the columns."""
    corr = np.atleast_2d(np.corrcoef(np.asarray(matrix, dtype=float), rowvar=False))
    values, vectors = np.linalg.eigh(corr)
    order = np.argsort(values)[::-1]
    values = np.clip(values[order], 0.0, None)
    vectors = vectors[:, order]
    # A component's sign is arbitrary: make its largest loading positive, so reruns agree.
    signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
    vectors = vectors * np.where(signs == 0, 1.0, signs)
    return values / values.sum(), np.clip(vectors * np.sqrt(values), -1.0, 1.0)


def audit(indicator_values: pd.DataFrame, domains: pd.DataFrame, index: pd.DataFrame, m: Methodology) -> pd.DataFrame:
    """The audit of every year of an ``IndexResult`` (its ``indicator_values``, ``domains`` and
    ``index`` frames): one row per year x measure x item x other (``AUDIT_COLUMNS``)."""
    rows: list[tuple] = []
    used = indicator_values.loc[indicator_values["used"] & indicator_values["normalised"].notna()]
    order = {ind: k for k, ind in enumerate(m.indicator_ids)}
    dom_order = {d: k for k, d in enumerate(m.domain_ids)}
    max_corr, min_alpha = m.audit.max_indicator_correlation, m.audit.min_cronbach_alpha
    for year, part in used.groupby("year", sort=True):
        wide = part.pivot(index="nis_code", columns="indicator", values="normalised")
        wide = wide[sorted(wide.columns, key=order.__getitem__)]
        inds = list(wide.columns)
        x = wide.to_numpy(dtype=float)
        corr = np.corrcoef(x, rowvar=False)
        for a in range(len(inds)):
            for b in range(a + 1, len(inds)):
                r = float(corr[a, b])
                rows.append((year, "indicator_correlation", inds[a], inds[b], r, max_corr, bool(abs(r) > max_corr)))
        dom = domains.loc[domains["year"] == year].pivot(index="nis_code", columns="domain", values="domain_score")
        dom = dom.reindex(wide.index)
        score = index.loc[index["year"] == year].set_index("nis_code")["score"].reindex(wide.index).to_numpy(dtype=float)
        for k, ind in enumerate(inds):
            d = m.domain_of(ind)
            r_dom = float(np.corrcoef(x[:, k], dom[d].to_numpy(dtype=float))[0, 1])
            rows.append((year, "correlation_with_domain", ind, d, r_dom, 0.0, bool(r_dom < 0)))
            r_idx = float(np.corrcoef(x[:, k], score)[0, 1])
            rows.append((year, "correlation_with_index", ind, "index", r_idx, 0.0, bool(r_idx < 0)))
        for d in sorted(dom.columns, key=dom_order.__getitem__):
            members = [k for k, ind in enumerate(inds) if m.domain_of(ind) == d]
            if len(members) < 2:
                continue
            alpha = cronbach_alpha(x[:, members])
            rows.append((year, "cronbach_alpha", d, "", alpha, min_alpha, bool(alpha < min_alpha)))
        for label, names, matrix in (
            ("indicators", inds, x),
            ("domains", sorted(dom.columns, key=dom_order.__getitem__), None),
        ):
            if matrix is None:
                matrix = dom[names].to_numpy(dtype=float)
            if len(names) < 2:
                continue
            shares, loadings = principal_components(matrix)
            for c, share in enumerate(shares):
                rows.append((year, "pca_variance_share", label, f"PC{c + 1}", float(share), None, False))
                for j, name in enumerate(names):
                    rows.append((year, "pca_loading", name, f"PC{c + 1}", float(loadings[j, c]), None, False))
    frame = pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
    frame["year"] = frame["year"].astype(int)
    frame["threshold"] = frame["threshold"].astype(float)
    return frame
