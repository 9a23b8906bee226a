"""How a run uses the process: its threads (COHESION_STAGE_WORKERS) and its garbage collection."""

from __future__ import annotations

import os

import pytest

from orchestration.defs.index import _stage_workers


def test_stage_workers_default_to_one_and_never_exceed_the_cores(monkeypatch):
    monkeypatch.delenv("COHESION_STAGE_WORKERS", raising=False)
    assert _stage_workers() == 1
    monkeypatch.setenv("COHESION_STAGE_WORKERS", "64")
    assert _stage_workers() == min(64, os.cpu_count() or 1)


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5"])
def test_a_bad_stage_workers_value_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("COHESION_STAGE_WORKERS", value)
    with pytest.raises(ValueError, match=f"COHESION_STAGE_WORKERS must be a whole number of threads, at least 1; it is '{value}'"):
        _stage_workers()


def test_a_run_hands_back_the_objects_it_froze_and_only_those():
    import gc

    from orchestration.step_memory import frozen_for_the_run

    before = gc.get_freeze_count()
    gc.unfreeze()
    try:
        with frozen_for_the_run():
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
        gc.freeze()
        with frozen_for_the_run():
            pass
        assert gc.get_freeze_count() > 0  # frozen by the caller before the run: left frozen
    finally:
        gc.unfreeze()
        if before:
            gc.freeze()


def test_garbage_a_step_froze_alive_is_collected_when_the_run_ends():
    import gc
    import weakref

    from orchestration.step_memory import frozen_for_the_run, return_freed_memory

    class Node:
        pass

    frozen_before = gc.get_freeze_count() > 0
    gc.freeze()  # as the test processes do
    try:
        with frozen_for_the_run():
            cycle = Node()
            cycle.me = cycle
            seen = weakref.ref(cycle)
            return_freed_memory()  # a step ends while the cycle is alive: it is frozen
            del cycle
            gc.collect()
            assert seen() is not None  # frozen: no collection during the run sees it
        assert seen() is None
    finally:
        if not frozen_before:
            gc.unfreeze()
