"""Why a client cannot use the cluster, in one line: unreachable, TLS refused, login refused, ACL missing.

Kafka clients retry a failing bootstrap until a timeout and then say only "Unable to bootstrap",
with the cause in a debug log. This opens one connection per bootstrap server with the settings'
security options and names the first cause it meets, and asks the cluster which of a role's topic
operations the principal lacks, so a worker can refuse to start with half its topics.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any

from pipeline.acls import TOPIC, Grant
from pipeline.security import SecuritySettingsError, aiokafka_config, client_security, kafka_python_config
from pipeline.settings import Settings

TOPIC_AUTHORIZATION_FAILED = 29
UNKNOWN_TOPIC = 3
# aiokafka closes a refused connection's transport on the next loop turn: let it before returning.
_LET_CLOSE_S = 0.05


class ConnectionCheckError(RuntimeError):
    """The one line saying what failed (address, user, file or topic named).

    `retriable`: no broker answered (down, restarting, not reachable yet), so trying again later may
    work; a refused login or certificate, or a setting that cannot work, will not change by waiting."""

    def __init__(self, line: str, *, retriable: bool = False) -> None:
        super().__init__(line)
        self.retriable = retriable


def _servers(settings: Settings) -> list[tuple[str, int]]:
    servers = []
    for server in settings.bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        servers.append((host.strip("[]"), int(port)))
    return servers


def _explain(exc: BaseException, address: str, settings: Settings) -> str:
    from aiokafka.errors import SaslAuthenticationFailed, UnsupportedSaslMechanismError

    if isinstance(exc, ssl.SSLCertVerificationError):
        line = (
            f"TLS handshake with {address} failed: certificate verify failed ({exc.verify_message}); the "
            f"broker's certificate is not signed by a CA in SCREENING_SSL_CAFILE "
            f"({settings.ssl_cafile or 'the system store'})"
        )
    elif isinstance(exc, ssl.SSLError):
        line = f"TLS handshake with {address} failed: {exc.reason or exc}"
    elif isinstance(exc, SaslAuthenticationFailed):
        detail = str(exc.args[0]) if exc.args else "invalid credentials"
        line = f"SASL login as {settings.sasl_username!r} refused by {address}: {detail}"
    elif isinstance(exc, UnsupportedSaslMechanismError):
        line = f"{address} does not offer SCREENING_SASL_MECHANISM={settings.sasl_mechanism}: {exc}"
    elif isinstance(exc, TimeoutError):
        line = f"no answer from {address} in time (is SCREENING_SECURITY_PROTOCOL right for that port?)"
    elif isinstance(exc, OSError):
        line = f"cannot reach {address}: {exc.strerror or exc}"
    else:
        line = f"cannot connect to {address}: {type(exc).__name__}: {exc}"
    return line


async def check_connection(settings: Settings, *, timeout_s: float = 10.0) -> str:
    """Connect to the bootstrap servers in turn; return a description of the first that accepts.

    Raises `ConnectionCheckError` with the cause of the first failure when none accepts; a TLS or
    login refusal is raised at once (another broker of the same cluster would refuse it too)."""
    from aiokafka.conn import create_conn

    try:
        config = aiokafka_config(settings)
        security = client_security(settings)
    except SecuritySettingsError as exc:
        raise ConnectionCheckError(str(exc)) from exc
    unreachable: list[str] = []
    for host, port in _servers(settings):
        address = f"{host}:{port}"
        try:
            conn = await asyncio.wait_for(
                create_conn(host, port, request_timeout_ms=int(timeout_s * 1000), **config), timeout_s
            )
        except (TimeoutError, ConnectionError) as exc:
            unreachable.append(_explain(exc, address, settings))
            continue
        except Exception as exc:  # the client library's own failures are what this check explains
            await asyncio.sleep(_LET_CLOSE_S)
            raise ConnectionCheckError(_explain(exc, address, settings)) from exc
        await conn.close()
        who = f" as {security.username!r}" if security.uses_sasl else ""
        return f"connected to {address}{who} over {security.protocol}"
    if not unreachable:
        msg = "SCREENING_BOOTSTRAP_SERVERS is empty"
        raise ConnectionCheckError(msg)
    raise ConnectionCheckError("; ".join(unreachable), retriable=True)


def missing_access(settings: Settings, grants: Iterable[Grant]) -> list[str]:
    """The literal topic grants of `grants` the settings' principal does not hold, one line each.

    Asks the cluster for the principal's authorized operations on each topic (a metadata request);
    a topic the principal may not even describe lacks every operation."""
    from kafka import KafkaAdminClient

    wanted: dict[str, set[str]] = {}
    for grant in grants:
        if grant.resource == TOPIC and grant.pattern == "literal":
            wanted.setdefault(grant.name, set()).add(grant.operation)
    if not wanted:
        return []
    admin = KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{settings.app_id}-access-check",
        request_timeout_ms=15_000,
        **kafka_python_config(settings),
    )
    try:
        described: list[dict[str, Any]] = admin.describe_topics(sorted(wanted))
    finally:
        admin.close()
    user = settings.sasl_username or "this client"
    missing = []
    for topic in described:
        if topic["error_code"] == UNKNOWN_TOPIC:
            missing.append(f"topic {topic['name']} does not exist (run `screening topics create`)")
            continue
        held = {op.replace("_", "").lower() for op in topic.get("authorized_operations") or ()}
        if topic["error_code"] == TOPIC_AUTHORIZATION_FAILED:
            held = set()
        lacking = sorted(op for op in wanted[topic["name"]] if op.lower() not in held)
        if lacking:
            missing.append(f"{user} may not {'/'.join(lacking)} topic {topic['name']}")
    return sorted(missing)
