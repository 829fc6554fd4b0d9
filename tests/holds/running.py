"""The review applier on its own event loop in a daemon thread, for tests whose own code is blocking
(the CLI, kafka-python readers)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from pipeline.kafka import review_applier
from pipeline.settings import Settings


class RunningApplier:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, name="review-applier", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._apply())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread by start()
            self._error = exc
        finally:
            self._started.set()

    async def _apply(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        started = asyncio.Event()

        async def signal() -> None:
            await started.wait()
            self._started.set()

        signaller = asyncio.create_task(signal())
        try:
            await review_applier.run(self._settings, started=started)
        finally:
            signaller.cancel()

    def start(self) -> None:
        self._thread.start()
        if not self._started.wait(60) or self._error is not None:
            msg = f"the review applier did not start: {self._error!r}"
            raise RuntimeError(msg)

    def stop(self) -> None:
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(30)


@contextlib.contextmanager
def running_applier(settings: Settings) -> Iterator[RunningApplier]:
    applier = RunningApplier(settings)
    applier.start()
    try:
        yield applier
    finally:
        applier.stop()
