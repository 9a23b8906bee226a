"""The local cohesion fund's numerical kernel: pandas frames in, frames out (METHOD.md section 4).

Called from the fund stage (``kernels.stages``) and from ``cohesion whatif``. Pure: no
file, database or environment access; the rules come in as a :class:`FundRules` loaded by
:func:`load_fund_rules`. One module per concern; this one gathers the public functions:

- gates and eligibility: :func:`gate_a`, :func:`gate_b`, :func:`eligibility`,
  :func:`eligibility_probability`, :func:`borderline` (``fund_gates``, reasons in ``fund_reasons``);
- money in whole euro cents: :func:`allocate` (``fund_allocation``),
  :func:`split_budget_lines` (``fund_lines``);
- years: :func:`transitions`, :func:`simulate_years` (``fund_transitions``);
- diffs: :func:`compare_allocations` (``fund_compare``).
"""

from __future__ import annotations

from kernels.fund_allocation import allocate
from kernels.fund_compare import compare_allocations
from kernels.fund_frames import FundAllocationError, FundInputError
from kernels.fund_gates import (
    borderline,
    eligibility,
    eligibility_probability,
    gate_a,
    gate_b,
)
from kernels.fund_lines import split_budget_lines
from kernels.fund_reasons import LANGS, status_sentence
from kernels.fund_rules import FundRules, FundRulesError, load_fund_rules
from kernels.fund_transitions import simulate_years, transitions

__all__ = [
    "FundAllocationError",
    "FundInputError",
    "FundRules",
    "FundRulesError",
    "LANGS",
    "allocate",
    "borderline",
    "compare_allocations",
    "eligibility",
    "eligibility_probability",
    "gate_a",
    "gate_b",
    "load_fund_rules",
    "simulate_years",
    "split_budget_lines",
    "status_sentence",
    "transitions",
]
