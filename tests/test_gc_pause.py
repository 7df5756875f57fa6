"""gc_pause: the collector is off inside the block and as it was after; the CLI also freezes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from routerctl import gc_pause


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    enabled, freeze = gc.isenabled(), gc_pause.FREEZE
    yield
    gc_pause.FREEZE = freeze
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_paused_inside_and_restored_after() -> None:
    gc.enable()
    with gc_pause.paused():
        assert not gc.isenabled()
        with gc_pause.paused():  # nested: still off, and the outer block restores it
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # a library caller's objects are not frozen


def test_a_collector_the_caller_switched_off_stays_off() -> None:
    gc.disable()
    with gc_pause.paused():
        pass
    assert not gc.isenabled()


def test_restored_even_when_the_block_raises() -> None:
    gc.enable()
    with pytest.raises(ValueError, match="boom"), gc_pause.paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_the_cli_freezes_what_it_parsed() -> None:
    gc.enable()
    gc_pause.FREEZE = True
    with gc_pause.paused():
        kept = [{"name": f"r{i}"} for i in range(1000)]
    assert gc.get_freeze_count() >= len(kept)
    assert gc.isenabled()


def test_enabled_false_leaves_the_collector_alone() -> None:
    gc.enable()
    gc_pause.ENABLED = False
    try:
        with gc_pause.paused():
            assert gc.isenabled()
    finally:
        gc_pause.ENABLED = True
