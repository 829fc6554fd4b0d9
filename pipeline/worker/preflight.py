"""Before faust starts: wait for the cluster with backoff while `/ready` says why not, and stop at
once, with one line, on what waiting cannot fix (a refused login or certificate, a missing ACL).

faust's own start gives up after one bootstrap timeout ("Unable to bootstrap") and the worker exits:
after a broker restart an orchestrator could be left with no worker at all. Here a broker that does
not answer is waited for, with a growing pause, while `/health` answers (the process is fine) and
`/ready` answers 503 with the reason; faust starts only once a broker has accepted the worker's
login and the cluster says the worker's principal holds every topic grant it needs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from kafka.errors import KafkaError

from pipeline.acls import Grant, worker_grants
from pipeline.connection_check import ConnectionCheckError, check_connection, missing_access
from pipeline.kafka.topics import TABLES, changelog_topic
from pipeline.settings import Settings

log = logging.getLogger(__name__)

FIRST_PAUSE_S = 1.0
LONGEST_PAUSE_S = 30.0
CONNECT_TIMEOUT_S = 10.0


class StartRefusedError(RuntimeError):
    """What stops the worker before it screens anything, in one line."""


@dataclass(slots=True)
class Backoff:
    """Pauses that double from `first_s` up to `longest_s`."""

    first_s: float = FIRST_PAUSE_S
    longest_s: float = LONGEST_PAUSE_S
    _next_s: float = 0.0

    def next_pause(self) -> float:
        self._next_s = self.first_s if self._next_s == 0.0 else min(self._next_s * 2, self.longest_s)
        return self._next_s


def grants_to_check(settings: Settings) -> list[Grant]:
    """The worker's literal topic grants, and its prefixed ones spelled out for the table changelogs."""
    user = settings.sasl_username or "worker"
    grants = worker_grants(settings, user)
    literal = [grant for grant in grants if grant.pattern == "literal"]
    changelogs = [
        Grant(f"User:{user}", "topic", changelog_topic(settings, table), "literal", operation)
        for table in TABLES
        for operation in ("Read", "Write")
    ]
    return [*literal, *changelogs]


def access_problems(settings: Settings) -> tuple[list[str], list[str]]:
    """(missing grants, missing topics): lines from `missing_access` for the worker's needs."""
    lines = missing_access(settings, grants_to_check(settings))
    absent = [line for line in lines if "does not exist" in line]
    return [line for line in lines if line not in absent], absent


class NotReadyPages:
    """`/health` and `/ready` on the worker's web port while faust is not running yet."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.reason = "starting"
        self._runner: web.AppRunner | None = None

    async def _ready(self, _request: web.Request) -> web.Response:
        return web.json_response({"ready": False, "reason": self.reason}, status=503)

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "ready": False})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ready", self._ready)
        app.router.add_get("/health", self._health)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.web_host, self._settings.web_port)
        await site.start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def wait_until_usable(
    settings: Settings,
    *,
    backoff: Backoff | None = None,
    report: Callable[[str], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> str:
    """Return once a broker accepts the worker and its principal holds its grants (the connection line).

    Retries while no broker answers, reporting each failure through `report`; raises `StartRefusedError`
    on a refusal waiting cannot fix. Topics that do not exist yet are logged, not waited for: faust
    creates them where the principal may (a local broker), and a principal that may not is told so
    by the broker when faust asks."""
    pauses = backoff or Backoff()
    tell = report or (lambda _line: None)

    async def wait_again(what: str, failed: Exception) -> None:
        pause = pauses.next_pause()
        line = f"{what}, retrying in {pause:.0f} s: {failed}"
        log.warning(line)
        tell(line)
        await sleep(pause)

    while True:
        try:
            connected = await check_connection(settings, timeout_s=CONNECT_TIMEOUT_S)
            refused, absent = await asyncio.to_thread(access_problems, settings)
        except ConnectionCheckError as failed:
            if not failed.retriable:
                raise StartRefusedError(str(failed)) from failed
            await wait_again("Kafka not reachable", failed)
            continue
        except (OSError, KafkaError) as failed:  # a broker lost between the two checks: wait again
            await wait_again("Kafka connection lost", failed)
            continue
        if refused:
            msg = f"the worker's principal lacks {len(refused)} grant(s): " + "; ".join(refused)
            raise StartRefusedError(msg)
        for line in absent:
            log.warning(line)
        return connected


async def preflight(settings: Settings) -> None:
    """`wait_until_usable` behind the not-ready pages; raises `StartRefusedError`."""
    pages = NotReadyPages(settings)
    await pages.start()

    def show(line: str) -> None:
        pages.reason = line

    try:
        log.info(await wait_until_usable(settings, report=show))
    finally:
        await pages.stop()
