"""Connection security: the settings' TLS, SASL and delivery options as each Kafka client's arguments.

One validation serves every client kind (kafka-python, aiokafka, faust), so a wrong setting fails
with one line naming the variable before any connection is tried, and no client can end up with
half the options (TLS without its CA, SASL without a password) because a builder forgot one.
Nothing here opens a connection.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.settings import Settings

PROTOCOLS: tuple[str, ...] = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS: tuple[str, ...] = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
# "all" is Kafka's -1; faust takes the number, kafka-python and aiokafka the word or the number.
ACKS: dict[str, int] = {"all": -1, "-1": -1, "1": 1, "0": 0}


class SecuritySettingsError(ValueError):
    """A connection-security setting that cannot work; the message names the variable."""


@dataclass(frozen=True, slots=True)
class ClientSecurity:
    """Validated connection options. `password` is plain here: it is handed to client libraries."""

    protocol: str
    mechanism: str | None = None
    username: str | None = None
    password: str | None = None
    cafile: Path | None = None
    certfile: Path | None = None
    keyfile: Path | None = None

    @property
    def uses_tls(self) -> bool:
        return self.protocol in {"SSL", "SASL_SSL"}

    @property
    def uses_sasl(self) -> bool:
        return self.protocol in {"SASL_PLAINTEXT", "SASL_SSL"}

    def __repr__(self) -> str:
        # Never the password: settings objects end up in logs and tracebacks.
        return f"ClientSecurity({self.protocol}, {self.mechanism}, user={self.username!r})"


@dataclass(frozen=True, slots=True)
class Delivery:
    acks: int
    idempotence: bool


def _fail(message: str) -> SecuritySettingsError:
    return SecuritySettingsError(message)


def _readable_file(variable: str, path: Path) -> Path:
    if not path.exists():
        msg = f"{variable}: {path} does not exist"
        raise _fail(msg)
    if not path.is_file():
        msg = f"{variable}: {path} is not a file"
        raise _fail(msg)
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        msg = f"{variable}: {path} cannot be read ({exc.strerror})"
        raise _fail(msg) from exc
    return path


def _password(settings: Settings) -> str:
    inline = settings.sasl_password.get_secret_value()
    if inline and settings.sasl_password_file is not None:
        msg = "set SCREENING_SASL_PASSWORD or SCREENING_SASL_PASSWORD_FILE, not both"
        raise _fail(msg)
    if settings.sasl_password_file is not None:
        path = _readable_file("SCREENING_SASL_PASSWORD_FILE", settings.sasl_password_file)
        # Secret files usually end with a newline that is not part of the password.
        inline = path.read_text(encoding="utf-8").rstrip("\r\n")
        if not inline:
            msg = f"SCREENING_SASL_PASSWORD_FILE: {path} is empty"
            raise _fail(msg)
    if not inline:
        msg = "SASL needs a password: set SCREENING_SASL_PASSWORD_FILE (or SCREENING_SASL_PASSWORD)"
        raise _fail(msg)
    return inline


def _sasl(settings: Settings, protocol: str) -> tuple[str, str, str]:
    mechanism = settings.sasl_mechanism.strip().upper()
    if not mechanism:
        msg = f"SCREENING_SECURITY_PROTOCOL={protocol} needs SCREENING_SASL_MECHANISM"
        raise _fail(msg)
    if mechanism not in SASL_MECHANISMS:
        known = ", ".join(SASL_MECHANISMS)
        msg = f"SCREENING_SASL_MECHANISM={settings.sasl_mechanism!r} is not one of {known}"
        raise _fail(msg)
    if mechanism == "PLAIN" and protocol == "SASL_PLAINTEXT":
        msg = "SASL PLAIN over SASL_PLAINTEXT sends the password unencrypted; use SASL_SSL"
        raise _fail(msg)
    if not settings.sasl_username:
        msg = f"SCREENING_SECURITY_PROTOCOL={protocol} needs SCREENING_SASL_USERNAME"
        raise _fail(msg)
    return mechanism, settings.sasl_username, _password(settings)


def _no_sasl_settings(settings: Settings, protocol: str) -> None:
    stray = [
        name
        for name, value in (
            ("SCREENING_SASL_MECHANISM", settings.sasl_mechanism),
            ("SCREENING_SASL_USERNAME", settings.sasl_username),
            ("SCREENING_SASL_PASSWORD", settings.sasl_password.get_secret_value()),
            ("SCREENING_SASL_PASSWORD_FILE", settings.sasl_password_file),
        )
        if value
    ]
    if stray:
        # Credentials the protocol would silently ignore usually mean the protocol is wrong.
        msg = f"{', '.join(stray)} set but SCREENING_SECURITY_PROTOCOL={protocol} does not use SASL"
        raise _fail(msg)


def _tls_files(
    settings: Settings, protocol: str, *, tls: bool
) -> tuple[Path | None, Path | None, Path | None]:
    files = {
        "SCREENING_SSL_CAFILE": settings.ssl_cafile,
        "SCREENING_SSL_CERTFILE": settings.ssl_certfile,
        "SCREENING_SSL_KEYFILE": settings.ssl_keyfile,
    }
    if not tls:
        stray = [name for name, path in files.items() if path is not None]
        if stray:
            msg = f"{', '.join(stray)} set but SCREENING_SECURITY_PROTOCOL={protocol} does not use TLS"
            raise _fail(msg)
        return None, None, None
    if settings.ssl_keyfile is not None and settings.ssl_certfile is None:
        msg = "SCREENING_SSL_KEYFILE needs SCREENING_SSL_CERTFILE (the client certificate)"
        raise _fail(msg)
    checked = {name: _readable_file(name, path) if path else None for name, path in files.items()}
    return (
        checked["SCREENING_SSL_CAFILE"],
        checked["SCREENING_SSL_CERTFILE"],
        checked["SCREENING_SSL_KEYFILE"],
    )


def client_security(settings: Settings) -> ClientSecurity:
    """The validated connection options of `settings`; raises `SecuritySettingsError` naming the variable."""
    protocol = settings.security_protocol.strip().upper()
    if protocol not in PROTOCOLS:
        msg = (
            f"SCREENING_SECURITY_PROTOCOL={settings.security_protocol!r} is not one of {', '.join(PROTOCOLS)}"
        )
        raise _fail(msg)
    tls = protocol in {"SSL", "SASL_SSL"}
    cafile, certfile, keyfile = _tls_files(settings, protocol, tls=tls)
    if protocol in {"SASL_PLAINTEXT", "SASL_SSL"}:
        mechanism, username, password = _sasl(settings, protocol)
        return ClientSecurity(protocol, mechanism, username, password, cafile, certfile, keyfile)
    _no_sasl_settings(settings, protocol)
    return ClientSecurity(protocol, cafile=cafile, certfile=certfile, keyfile=keyfile)


def delivery(settings: Settings) -> Delivery:
    """Producer acknowledgements and idempotence; idempotence needs every in-sync replica's ack."""
    acks = ACKS.get(settings.producer_acks.strip().lower())
    if acks is None:
        msg = f"SCREENING_PRODUCER_ACKS={settings.producer_acks!r} is not one of all, 1, 0"
        raise _fail(msg)
    if settings.producer_idempotence and acks != -1:
        msg = f"SCREENING_PRODUCER_IDEMPOTENCE needs SCREENING_PRODUCER_ACKS=all, not {acks}"
        raise _fail(msg)
    return Delivery(acks, settings.producer_idempotence)


def ssl_context(security: ClientSecurity) -> ssl.SSLContext:
    """A verifying TLS context: the CA file (else the system's), hostnames checked, client cert if any."""
    try:
        context = ssl.create_default_context(cafile=str(security.cafile) if security.cafile else None)
    except (ssl.SSLError, ValueError) as exc:
        msg = f"SCREENING_SSL_CAFILE: {security.cafile} is not a PEM CA certificate ({exc})"
        raise _fail(msg) from exc
    if security.certfile is not None:
        try:
            context.load_cert_chain(
                str(security.certfile), str(security.keyfile) if security.keyfile else None
            )
        except ssl.SSLError as exc:
            msg = (
                f"SCREENING_SSL_CERTFILE/SCREENING_SSL_KEYFILE: {security.certfile} is not a PEM certificate "
                f"with its key ({exc})"
            )
            raise _fail(msg) from exc
    return context


def _protocol_and_sasl(security: ClientSecurity) -> dict[str, Any]:
    """What kafka-python and aiokafka name alike: the protocol and the SASL login."""
    config: dict[str, Any] = {"security_protocol": security.protocol}
    if security.uses_sasl:
        config |= {
            "sasl_mechanism": security.mechanism,
            "sasl_plain_username": security.username,
            "sasl_plain_password": security.password,
        }
    return config


def kafka_python_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for kafka-python's `KafkaConsumer` and `KafkaAdminClient`."""
    security = client_security(settings)
    config = _protocol_and_sasl(security)
    if security.uses_tls:
        config["ssl_check_hostname"] = True
        config |= {
            key: str(path)
            for key, path in (
                ("ssl_cafile", security.cafile),
                ("ssl_certfile", security.certfile),
                ("ssl_keyfile", security.keyfile),
            )
            if path is not None
        }
    return config


def kafka_python_producer_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for kafka-python's `KafkaProducer`: connection plus delivery."""
    wanted = delivery(settings)
    acks: int | str = "all" if wanted.acks == -1 else wanted.acks
    return kafka_python_config(settings) | {"acks": acks, "enable_idempotence": wanted.idempotence}


def aiokafka_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for aiokafka's `AIOKafkaConsumer` (it takes a TLS context, not file names)."""
    security = client_security(settings)
    config = _protocol_and_sasl(security)
    if security.uses_tls:
        config["ssl_context"] = ssl_context(security)
    return config


def aiokafka_producer_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for aiokafka's `AIOKafkaProducer`: connection plus delivery."""
    wanted = delivery(settings)
    acks: int | str = "all" if wanted.acks == -1 else wanted.acks
    return aiokafka_config(settings) | {"acks": acks, "enable_idempotence": wanted.idempotence}


def faust_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `faust.App`: `broker_credentials` and `producer_acks`.

    faust enables producer idempotence only inside its exactly-once transactions; the worker's app
    sets it on faust's producer itself (`pipeline/kafka/faust_transport.py`, from `delivery`).
    """
    import faust

    security = client_security(settings)
    config: dict[str, Any] = {"producer_acks": delivery(settings).acks}
    context = ssl_context(security) if security.uses_tls else None
    if security.uses_sasl:
        config["broker_credentials"] = faust.SASLCredentials(
            username=security.username,
            password=security.password,
            ssl_context=context,
            mechanism=security.mechanism,
        )
    elif context is not None:
        config["broker_credentials"] = faust.SSLCredentials(context)
    return config
