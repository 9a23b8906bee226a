"""After each step of a run, give the operating system back what the step freed.

A run's steps execute in one process (in-process executor). Each step reads and drops frames of
tens to hundreds of MB; without this the process kept each step's leftovers under the next
step's work, and its peak grew with every step."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from ingestion.memory import give_back_freed_memory


def return_freed_memory() -> None:
    # Some of a step's frames are freed only by the cycle collector (after the real-estate checks,
    # about 110 MB); what they held sits in the C heap until trimmed. What survives is frozen, so
    # that each collection walks only the objects made since the step before (frozen_for_the_run
    # hands them back when the run ends): collecting everything each time cost 75 ms a step.
    gc.collect()
    gc.freeze()
    give_back_freed_memory()


@contextmanager
def frozen_for_the_run() -> Iterator[None]:
    """The objects that exist when a run starts (Dagster's, dbt's and the definitions', about
    500,000) are left out of every collection during the run, then handed back. A full
    collection over them took 0.3 s; a sample run made about fifteen by itself, and one per step
    here."""
    frozen_by_the_caller = gc.get_freeze_count() > 0
    gc.collect()
    gc.freeze()
    give_back_freed_memory()  # what came before the run (generating the sample left about 85 MB)
    try:
        yield
    finally:
        gc.unfreeze()
        if frozen_by_the_caller:
            # A caller that froze objects of its own keeps them frozen; the run's cyclic garbage,
            # frozen by a step while it was alive, is collected first so that it is not kept.
            gc.collect()
            gc.freeze()


@dg.success_hook(name="return_freed_memory_after_success")
def after_success(_context: dg.HookContext) -> None:
    return_freed_memory()


@dg.failure_hook(name="return_freed_memory_after_failure")
def after_failure(_context: dg.HookContext) -> None:
    return_freed_memory()
