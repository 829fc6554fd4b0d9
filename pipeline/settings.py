"""The one place that reads the environment.

Everything else receives a `Settings` instance; nothing else touches `os.environ`.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_DATA = PROJECT_ROOT / "pipeline" / "data"


@dataclass(frozen=True, slots=True)
class TopicNames:
    """Topic names, prefixed so tests and tenants can share one broker."""

    prefix: str = ""

    def _t(self, name: str) -> str:
        return f"{self.prefix}{name}"

    @property
    def orders(self) -> str:
        return self._t("orders")

    @property
    def orders_invalid(self) -> str:
        return self._t("orders.invalid")

    @property
    def hold(self) -> str:
        return self._t("shipments.hold")

    @property
    def license(self) -> str:
        return self._t("shipments.license")

    @property
    def release(self) -> str:
        return self._t("shipments.release")

    @property
    def decisions(self) -> str:
        return self._t("screening.decisions")

    @property
    def alerts_blocked(self) -> str:
        return self._t("alerts.blocked")

    @property
    def holds_reviews(self) -> str:
        return self._t("holds.reviews")

    @property
    def audit(self) -> str:
        return self._t("holds.audit")

    @property
    def allowlist(self) -> str:
        """Compacted topic of cleared party matches (key = list entry id + party name), with expiry."""
        return self._t("holds.allowlist")

    @property
    def claims(self) -> str:
        """Compacted topic of who works each hold (key = order id), shared by every console."""
        return self._t("holds.claims")

    @property
    def holds_current(self) -> str:
        """Compacted topic of open holds (key = order id), written by the review applier; a tombstone
        when a hold closes, so reading it costs what is open, not the decision history."""
        return self._t("holds.current")

    @property
    def reference_errors(self) -> str:
        """Refused reference updates, one event per worker that refused it."""
        return self._t("reference.errors")

    @property
    def licence_draws(self) -> str:
        """Internal: draw requests keyed by licence number, so draws on one licence are serial."""
        return self._t("licence.draws")

    @property
    def rescreen(self) -> str:
        """Internal: open orders to screen again after a rule pack or party list change."""
        return self._t("orders.rescreen")

    @property
    def decision_followups(self) -> str:
        """Internal: decisions made after the orders agent's (licence outcomes, reviewers' follow-ups),
        keyed by order id for the worker that holds the order's state."""
        return self._t("decisions.followups")

    def reference(self, kind: str) -> str:
        """Compacted reference topic for `kind` (rules, parties, party-master, products, licences)."""
        return self._t(f"reference.{kind}")


@dataclass(frozen=True, slots=True)
class Settings:
    bootstrap_servers: str = "127.0.0.1:19092"
    app_id: str = "shipment-screening"
    topic_prefix: str = ""
    order_partitions: int = 12
    replication_factor: int = 1
    # Written into each topic `screening topics create` makes: with acks=all, a write needs this many
    # in-sync copies (2 of 3 on a company cluster: one broker may be down, none may be lost).
    min_insync_replicas: int = 1
    web_port: int = 6066
    web_host: str = "127.0.0.1"
    store: str = "memory://"
    data_dir: Path = PROJECT_ROOT / ".run" / "worker"
    rules_file: Path = BUNDLED_DATA / "rules" / "china.yaml"
    party_list_files: tuple[Path, ...] = field(
        default_factory=lambda: (BUNDLED_DATA / "parties" / "cn-mofcom-party-lists.csv",)
    )
    party_master_file: Path = BUNDLED_DATA / "master" / "parties.yaml"
    party_status_file: Path = BUNDLED_DATA / "parties" / "status-changes.yaml"
    party_allowlist_file: Path | None = None
    # Party match scores: strong takes the list's effect, potential holds for review.
    party_strong_threshold: float = 0.9
    party_potential_threshold: float = 0.75
    # A refreshed list dropping more than this share of entries is quarantined until confirmed.
    party_list_max_shrink: float = 0.2
    products_file: Path = BUNDLED_DATA / "master" / "products.yaml"
    licences_file: Path = BUNDLED_DATA / "master" / "licences.yaml"
    console_url: str = "http://127.0.0.1:8080"
    # "name:role:hash,..." with role viewer|reviewer|admin and a hash from `screening console hash-password`.
    console_users: str = ""
    console_session_secret: SecretStr = field(default_factory=lambda: SecretStr(""))
    console_session_hours: float = 10.0
    # Secure cookies travel over HTTPS only; load_settings turns it on unless console_url is loopback.
    console_secure_cookie: bool = False
    # Failed sign-ins per user name and per client address before further attempts are refused.
    console_signin_max_failures: int = 5
    console_signin_max_failures_per_address: int = 20
    console_lockout_seconds: int = 900
    # HMAC key the console and CLI sign reviews with and the review applier checks; without one, the
    # console cannot send reviews and the applier refuses every review. The file wins when both are set.
    review_signing_key: SecretStr = field(default_factory=lambda: SecretStr(""))
    review_signing_key_file: Path | None = None
    log_level: str = "WARNING"
    # Review SLA for a hold; exported as screening_hold_sla_seconds, which HoldQueueAgeing compares with.
    hold_sla_seconds: float = 4 * 3600.0
    # How every Kafka client connects (turned into each client's arguments by pipeline/security.py).
    # PLAINTEXT suits the local broker; a company cluster usually asks for SASL_SSL, SCRAM-SHA-512.
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = ""
    sasl_username: str = ""
    sasl_password: SecretStr = field(default_factory=lambda: SecretStr(""))
    # A mounted secret instead of the password in the environment; read when a client is built.
    sasl_password_file: Path | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    # Every in-sync replica acknowledges a record, and a retried send never writes it twice.
    producer_acks: str = "all"
    producer_idempotence: bool = True
    # An open order's state is removed this many days after its ship date (its event date without one).
    state_retention_days: int = 90
    # How often each worker reads its consumer group's lag for /metrics (an admin request to the brokers).
    consumer_lag_interval_seconds: float = 5.0
    # The worker's asyncio event loop: "uvloop" (libuv, less CPU per wake-up) or "asyncio" (the
    # standard library's). See BENCHMARKS.md, "uvloop and the record path".
    event_loop: str = "uvloop"
    # An agent handles up to this many records per wake-up and publishes what they produced as one
    # record batch per topic and partition; it waits at most `agent_batch_within_seconds` for a batch
    # to fill, which is also the most a record waits at low rates. Larger batches: less CPU per order.
    agent_batch_records: int = 500
    agent_batch_within_seconds: float = 0.02

    @property
    def topics(self) -> TopicNames:
        return topic_names(self.topic_prefix)


@lru_cache(maxsize=64)
def topic_names(prefix: str) -> TopicNames:
    """The topic names for `prefix`, made once: the hot path asks for a topic several times per order."""
    return TopicNames(prefix)


def _paths(value: str) -> tuple[Path, ...]:
    return tuple(Path(p) for p in value.split(os.pathsep) if p)


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _flag(name: str, value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    msg = f"{name}={value!r} is neither true nor false"
    raise ValueError(msg)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


EVENT_LOOPS = ("uvloop", "asyncio")


def _event_loop(value: str) -> str:
    if value not in EVENT_LOOPS:
        msg = f"SCREENING_EVENT_LOOP={value!r} is none of {', '.join(EVENT_LOOPS)}"
        raise ValueError(msg)
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from `SCREENING_*` variables, falling back to the defaults."""
    env = os.environ if env is None else env
    base = Settings()
    return Settings(
        bootstrap_servers=env.get("SCREENING_BOOTSTRAP_SERVERS", base.bootstrap_servers),
        app_id=env.get("SCREENING_APP_ID", base.app_id),
        topic_prefix=env.get("SCREENING_TOPIC_PREFIX", base.topic_prefix),
        order_partitions=int(env.get("SCREENING_ORDER_PARTITIONS", base.order_partitions)),
        replication_factor=int(env.get("SCREENING_REPLICATION_FACTOR", base.replication_factor)),
        min_insync_replicas=int(env.get("SCREENING_MIN_INSYNC_REPLICAS", base.min_insync_replicas)),
        web_port=int(env.get("SCREENING_WEB_PORT", base.web_port)),
        web_host=env.get("SCREENING_WEB_HOST", base.web_host),
        store=env.get("SCREENING_STORE", base.store),
        data_dir=Path(env.get("SCREENING_DATA_DIR", str(base.data_dir))),
        rules_file=Path(env.get("SCREENING_RULES_FILE", str(base.rules_file))),
        party_list_files=_paths(env["SCREENING_PARTY_LIST_FILES"])
        if env.get("SCREENING_PARTY_LIST_FILES")
        else base.party_list_files,
        party_master_file=Path(env.get("SCREENING_PARTY_MASTER_FILE", str(base.party_master_file))),
        party_status_file=Path(env.get("SCREENING_PARTY_STATUS_FILE", str(base.party_status_file))),
        party_allowlist_file=Path(env["SCREENING_PARTY_ALLOWLIST_FILE"])
        if env.get("SCREENING_PARTY_ALLOWLIST_FILE")
        else base.party_allowlist_file,
        party_strong_threshold=float(
            env.get("SCREENING_PARTY_STRONG_THRESHOLD", base.party_strong_threshold)
        ),
        party_potential_threshold=float(
            env.get("SCREENING_PARTY_POTENTIAL_THRESHOLD", base.party_potential_threshold)
        ),
        party_list_max_shrink=float(env.get("SCREENING_PARTY_LIST_MAX_SHRINK", base.party_list_max_shrink)),
        products_file=Path(env.get("SCREENING_PRODUCTS_FILE", str(base.products_file))),
        licences_file=Path(env.get("SCREENING_LICENCES_FILE", str(base.licences_file))),
        console_url=env.get("SCREENING_CONSOLE_URL", base.console_url),
        console_users=env.get("SCREENING_CONSOLE_USERS", base.console_users),
        console_session_secret=SecretStr(env.get("SCREENING_CONSOLE_SESSION_SECRET", "")),
        console_session_hours=float(env.get("SCREENING_CONSOLE_SESSION_HOURS", base.console_session_hours)),
        console_secure_cookie=_flag(
            "SCREENING_CONSOLE_SECURE_COOKIE",
            env.get("SCREENING_CONSOLE_SECURE_COOKIE"),
            default=not _is_loopback(env.get("SCREENING_CONSOLE_URL", base.console_url)),
        ),
        console_signin_max_failures=int(
            env.get("SCREENING_CONSOLE_SIGNIN_MAX_FAILURES", base.console_signin_max_failures)
        ),
        console_signin_max_failures_per_address=int(
            env.get(
                "SCREENING_CONSOLE_SIGNIN_MAX_FAILURES_PER_ADDRESS",
                base.console_signin_max_failures_per_address,
            )
        ),
        console_lockout_seconds=int(
            env.get("SCREENING_CONSOLE_LOCKOUT_SECONDS", base.console_lockout_seconds)
        ),
        review_signing_key=SecretStr(env.get("SCREENING_REVIEW_SIGNING_KEY", "")),
        review_signing_key_file=_optional_path(env.get("SCREENING_REVIEW_SIGNING_KEY_FILE")),
        log_level=env.get("SCREENING_LOG_LEVEL", base.log_level),
        hold_sla_seconds=float(env.get("SCREENING_HOLD_SLA_SECONDS", base.hold_sla_seconds)),
        security_protocol=env.get("SCREENING_SECURITY_PROTOCOL", base.security_protocol),
        sasl_mechanism=env.get("SCREENING_SASL_MECHANISM", base.sasl_mechanism),
        sasl_username=env.get("SCREENING_SASL_USERNAME", base.sasl_username),
        sasl_password=SecretStr(env.get("SCREENING_SASL_PASSWORD", "")),
        sasl_password_file=_optional_path(env.get("SCREENING_SASL_PASSWORD_FILE")),
        ssl_cafile=_optional_path(env.get("SCREENING_SSL_CAFILE")),
        ssl_certfile=_optional_path(env.get("SCREENING_SSL_CERTFILE")),
        ssl_keyfile=_optional_path(env.get("SCREENING_SSL_KEYFILE")),
        producer_acks=env.get("SCREENING_PRODUCER_ACKS", base.producer_acks),
        producer_idempotence=_flag(
            "SCREENING_PRODUCER_IDEMPOTENCE",
            env.get("SCREENING_PRODUCER_IDEMPOTENCE"),
            base.producer_idempotence,
        ),
        state_retention_days=int(env.get("SCREENING_STATE_RETENTION_DAYS", base.state_retention_days)),
        consumer_lag_interval_seconds=float(
            env.get("SCREENING_CONSUMER_LAG_INTERVAL_SECONDS", base.consumer_lag_interval_seconds)
        ),
        event_loop=_event_loop(env.get("SCREENING_EVENT_LOOP") or base.event_loop),
        agent_batch_records=int(env.get("SCREENING_AGENT_BATCH_RECORDS", base.agent_batch_records)),
        agent_batch_within_seconds=float(
            env.get("SCREENING_AGENT_BATCH_WITHIN_SECONDS", base.agent_batch_within_seconds)
        ),
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """The `SCREENING_*` variables that make a worker subprocess load `settings` (the inverse of
    `load_settings` for what a worker's own topics, group, web port, store, reference files and
    connection security are)."""
    return {
        **security_env(settings),
        "SCREENING_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "SCREENING_APP_ID": settings.app_id,
        "SCREENING_TOPIC_PREFIX": settings.topic_prefix,
        "SCREENING_ORDER_PARTITIONS": str(settings.order_partitions),
        "SCREENING_REPLICATION_FACTOR": str(settings.replication_factor),
        "SCREENING_MIN_INSYNC_REPLICAS": str(settings.min_insync_replicas),
        "SCREENING_WEB_PORT": str(settings.web_port),
        "SCREENING_WEB_HOST": settings.web_host,
        "SCREENING_STORE": settings.store,
        "SCREENING_DATA_DIR": str(settings.data_dir),
        "SCREENING_RULES_FILE": str(settings.rules_file),
        "SCREENING_PARTY_LIST_FILES": os.pathsep.join(str(p) for p in settings.party_list_files),
        "SCREENING_LOG_LEVEL": settings.log_level,
        "SCREENING_STATE_RETENTION_DAYS": str(settings.state_retention_days),
        "SCREENING_EVENT_LOOP": settings.event_loop,
    }


def security_env(settings: Settings) -> dict[str, str]:
    """The `SCREENING_*` connection-security variables that make a subprocess connect as `settings` do.

    A password given in the environment is passed on as such; prefer the password file."""
    env = {
        "SCREENING_SECURITY_PROTOCOL": settings.security_protocol,
        "SCREENING_SASL_MECHANISM": settings.sasl_mechanism,
        "SCREENING_SASL_USERNAME": settings.sasl_username,
        "SCREENING_PRODUCER_ACKS": settings.producer_acks,
        "SCREENING_PRODUCER_IDEMPOTENCE": "true" if settings.producer_idempotence else "false",
    }
    if settings.sasl_password.get_secret_value():
        env["SCREENING_SASL_PASSWORD"] = settings.sasl_password.get_secret_value()
    files = {
        "SCREENING_SASL_PASSWORD_FILE": settings.sasl_password_file,
        "SCREENING_SSL_CAFILE": settings.ssl_cafile,
        "SCREENING_SSL_CERTFILE": settings.ssl_certfile,
        "SCREENING_SSL_KEYFILE": settings.ssl_keyfile,
    }
    env.update({name: str(path) for name, path in files.items() if path is not None})
    return env
