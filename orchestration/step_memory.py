"""After each step of a run, give the operating system back what the step freed.

A run's steps execute in one process (in-process executor). Each step reads and drops frames of
tens to hundreds of MB; without this the process kept each step's leftovers under the next
step's work, and its peak grew with every step."""

from __future__ import annotations

import gc

import dagster as dg

from ingestion.memory import give_back_freed_memory


def return_freed_memory() -> None:
    # Some of a step's frames are freed only by the cycle collector (a failed step's traceback
    # holds its locals); what they held sits in the C heap until trimmed.
    gc.collect()
    give_back_freed_memory()


@dg.success_hook(name="return_freed_memory_after_success")
def after_success(_context: dg.HookContext) -> None:
    return_freed_memory()


@dg.failure_hook(name="return_freed_memory_after_failure")
def after_failure(_context: dg.HookContext) -> None:
    return_freed_memory()
