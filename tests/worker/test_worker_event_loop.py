"""The worker's event loop comes from `SCREENING_EVENT_LOOP`: uvloop unless the standard one is asked for."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import pytest
import uvloop

from pipeline.settings import Settings, load_settings, settings_env
from pipeline.worker.run import use_event_loop


@pytest.fixture
def restored_policy() -> Iterator[None]:
    policy = asyncio.get_event_loop_policy()
    yield
    asyncio.set_event_loop_policy(policy)


def _new_loop_type() -> type[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    try:
        return type(loop)
    finally:
        loop.close()


def test_the_default_setting_is_uvloop_and_new_loops_are_uvloop_loops(restored_policy: None) -> None:
    settings = load_settings({})

    use_event_loop(settings)

    assert settings.event_loop == "uvloop"
    assert _new_loop_type() is uvloop.Loop


def test_asyncio_gives_the_standard_library_loop_even_after_uvloop(restored_policy: None) -> None:
    use_event_loop(Settings(event_loop="uvloop"))
    use_event_loop(load_settings({"SCREENING_EVENT_LOOP": "asyncio"}))

    loop_type = _new_loop_type()

    assert loop_type is not uvloop.Loop
    assert issubclass(loop_type, asyncio.BaseEventLoop)


def test_an_unknown_loop_is_refused_with_the_variable_and_the_choices() -> None:
    with pytest.raises(ValueError, match=r"SCREENING_EVENT_LOOP='trio' is none of uvloop, asyncio"):
        load_settings({"SCREENING_EVENT_LOOP": "trio"})


def test_worker_subprocesses_inherit_the_loop_setting() -> None:
    settings = replace(Settings(), event_loop="asyncio")

    assert load_settings(settings_env(settings)).event_loop == "asyncio"
