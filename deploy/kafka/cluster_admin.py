"""The cluster script's admin steps that need a Kafka client: wait for brokers, grant the ACLs.

Run by cluster.sh with the project's venv; connects as the `admin` super user over SASL_SSL with
the credentials cluster.sh made under its data directory. `print-acls` shows the grants as
`kafka-acls.sh` lines for a platform team (the topic names follow the SCREENING_* environment).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from kafka.errors import KafkaConfigurationError, KafkaError

from pipeline.acls import acl_plan, apply_acls, kafka_acls_command
from pipeline.security import SecuritySettingsError, kafka_python_config
from pipeline.settings import Settings, load_settings


def admin_settings(bootstrap: str, cluster_dir: Path) -> Settings:
    return dataclasses.replace(
        load_settings(),
        bootstrap_servers=bootstrap,
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="admin",
        sasl_password_file=cluster_dir / "secrets" / "admin.password",
        ssl_cafile=cluster_dir / "tls" / "ca.pem",
        ssl_certfile=None,
        ssl_keyfile=None,
    )


def live_brokers(settings: Settings) -> set[int]:
    """Node ids of the unfenced brokers the cluster reports."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        request_timeout_ms=5000,
        **kafka_python_config(settings),
    )
    try:
        brokers = admin.describe_cluster()["brokers"]
    finally:
        admin.close()
    return {int(broker["broker_id"]) for broker in brokers if not broker.get("is_fenced")}


def wait(settings: Settings, nodes: set[int], timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    seen: set[int] = set()
    last_error = ""
    while time.monotonic() < deadline:
        try:
            seen = live_brokers(settings)
        except (KafkaConfigurationError, SecuritySettingsError):
            raise
        except (KafkaError, OSError) as exc:  # not up yet: any other failure to answer means "wait"
            last_error = f"{type(exc).__name__}: {exc}"
        else:
            if nodes <= seen:
                return 0
        time.sleep(1.0)
    missing = sorted(nodes - seen)
    print(
        f"error: brokers {missing} not live within {timeout_s:.0f}s (live: {sorted(seen)}) {last_error}",
        file=sys.stderr,
    )
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--cluster-dir", type=Path, required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    waiting = commands.add_parser("wait", help="until the given node ids are live brokers")
    waiting.add_argument("--nodes", required=True, help="comma-separated node ids")
    waiting.add_argument("--timeout", type=float, default=120.0)
    commands.add_parser("apply-acls", help="grant every role's ACLs for the SCREENING_* settings")
    commands.add_parser("print-acls", help="the same grants as kafka-acls.sh lines")
    args = parser.parse_args(argv)
    settings = admin_settings(args.bootstrap, args.cluster_dir)
    if args.command == "wait":
        return wait(settings, {int(n) for n in args.nodes.split(",") if n}, args.timeout)
    grants = acl_plan(load_settings())
    if args.command == "print-acls":
        print("\n".join(kafka_acls_command(grant) for grant in grants))
        return 0
    print(f"Granted {apply_acls(settings, grants)} ACLs (worker, console, producer, operator)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
