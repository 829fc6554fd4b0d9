"""Connection-security settings: parsed from the environment, validated once, turned into client arguments."""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from pipeline.connection_check import ConnectionCheckError, check_connection
from pipeline.security import (
    SecuritySettingsError,
    aiokafka_config,
    aiokafka_producer_config,
    client_security,
    faust_config,
    kafka_python_config,
    kafka_python_producer_config,
)
from pipeline.settings import Settings, load_settings, security_env


@pytest.fixture(scope="module")
def ca_pem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real CA certificate in PEM, made with the JDK's keytool as the cluster script does."""
    directory = tmp_path_factory.mktemp("ca")
    store = ["-keystore", str(directory / "ca.p12"), "-storetype", "PKCS12", "-storepass", "changeit"]
    subprocess.run(
        [
            "keytool",
            "-genkeypair",
            "-alias",
            "ca",
            "-keyalg",
            "RSA",
            "-dname",
            "CN=test-ca",
            "-ext",
            "bc:c",
            *store,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pem = subprocess.run(
        ["keytool", "-exportcert", "-rfc", "-alias", "ca", *store],
        check=True,
        capture_output=True,
        timeout=120,
    )
    path = directory / "ca.pem"
    path.write_bytes(pem.stdout)
    return path


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password"
    path.write_text("s3cret\n")
    return path


def scram(ca: Path, password_file: Path, **changes: object) -> Settings:
    settings = Settings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="worker",
        sasl_password_file=password_file,
        ssl_cafile=ca,
    )
    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]


def test_the_environment_sets_every_security_option(tmp_path: Path) -> None:
    env = {
        "SCREENING_SECURITY_PROTOCOL": "SASL_SSL",
        "SCREENING_SASL_MECHANISM": "SCRAM-SHA-512",
        "SCREENING_SASL_USERNAME": "worker",
        "SCREENING_SASL_PASSWORD_FILE": str(tmp_path / "pw"),
        "SCREENING_SSL_CAFILE": str(tmp_path / "ca.pem"),
        "SCREENING_SSL_CERTFILE": str(tmp_path / "client.pem"),
        "SCREENING_SSL_KEYFILE": str(tmp_path / "client.key"),
        "SCREENING_PRODUCER_ACKS": "all",
        "SCREENING_PRODUCER_IDEMPOTENCE": "false",
    }
    settings = load_settings(env)
    assert settings.security_protocol == "SASL_SSL"
    assert settings.sasl_password_file == tmp_path / "pw"
    assert settings.ssl_keyfile == tmp_path / "client.key"
    assert settings.producer_idempotence is False
    # The inverse: a subprocess given these variables connects the same way.
    assert load_settings(security_env(settings)) == dataclasses.replace(Settings(), **{
        name: getattr(settings, name)
        for name in (
            "security_protocol", "sasl_mechanism", "sasl_username", "sasl_password_file",
            "ssl_cafile", "ssl_certfile", "ssl_keyfile", "producer_acks", "producer_idempotence",
        )
    })  # fmt: skip


def test_defaults_are_plaintext_with_acks_all_and_idempotence() -> None:
    settings = load_settings({})
    assert kafka_python_config(settings) == {"security_protocol": "PLAINTEXT"}
    assert kafka_python_producer_config(settings) == {
        "security_protocol": "PLAINTEXT",
        "acks": "all",
        "enable_idempotence": True,
    }
    assert aiokafka_producer_config(settings) == {
        "security_protocol": "PLAINTEXT",
        "acks": "all",
        "enable_idempotence": True,
    }
    assert faust_config(settings) == {"producer_acks": -1}


def test_an_unknown_flag_value_is_refused() -> None:
    with pytest.raises(ValueError, match="SCREENING_PRODUCER_IDEMPOTENCE='maybe' is neither true nor false"):
        load_settings({"SCREENING_PRODUCER_IDEMPOTENCE": "maybe"})


def test_scram_over_tls_for_each_client_kind(ca_pem: Path, password_file: Path) -> None:
    settings = scram(ca_pem, password_file)
    assert kafka_python_config(settings) == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "worker",
        "sasl_plain_password": "s3cret",  # the file's trailing newline is not part of it
        "ssl_check_hostname": True,
        "ssl_cafile": str(ca_pem),
    }
    aio = aiokafka_config(settings)
    assert aio["sasl_plain_password"] == "s3cret"
    context = aio["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert [cert["subject"] for cert in context.get_ca_certs()] == [((("commonName", "test-ca"),),)]
    credentials = faust_config(settings)["broker_credentials"]
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    assert credentials.username == "worker"
    assert "s3cret" not in repr(client_security(settings))


def test_tls_without_sasl_gives_faust_ssl_credentials(ca_pem: Path) -> None:
    settings = Settings(security_protocol="ssl", ssl_cafile=ca_pem)
    assert kafka_python_config(settings) == {
        "security_protocol": "SSL",
        "ssl_check_hostname": True,
        "ssl_cafile": str(ca_pem),
    }
    assert type(faust_config(settings)["broker_credentials"]).__name__ == "SSLCredentials"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"security_protocol": "TLS"}, "SCREENING_SECURITY_PROTOCOL='TLS' is not one of PLAINTEXT, SSL"),
        ({"sasl_mechanism": "SCRAM-SHA-1"}, "SCREENING_SASL_MECHANISM='SCRAM-SHA-1' is not one of PLAIN"),
        ({"sasl_mechanism": ""}, "SCREENING_SECURITY_PROTOCOL=SASL_SSL needs SCREENING_SASL_MECHANISM"),
        ({"sasl_username": ""}, "SCREENING_SECURITY_PROTOCOL=SASL_SSL needs SCREENING_SASL_USERNAME"),
        ({"sasl_password_file": None}, "SASL needs a password: set SCREENING_SASL_PASSWORD_FILE"),
        ({"sasl_password": SecretStr("x")}, "or SCREENING_SASL_PASSWORD_FILE, not both"),
        ({"sasl_password_file": Path("/no/pw")}, "SCREENING_SASL_PASSWORD_FILE: /no/pw does not exist"),
        ({"ssl_cafile": Path("/no/ca.pem")}, "SCREENING_SSL_CAFILE: /no/ca.pem does not exist"),
        ({"ssl_keyfile": Path("/nonexistent/k")}, "SCREENING_SSL_KEYFILE needs SCREENING_SSL_CERTFILE"),
        (
            {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN", "ssl_cafile": None},
            "SASL PLAIN over SASL_PLAINTEXT sends the password unencrypted",
        ),
        (
            {"security_protocol": "PLAINTEXT", "ssl_cafile": None},
            "SCREENING_SASL_PASSWORD_FILE set but SCREENING_SECURITY_PROTOCOL=PLAINTEXT does not use SASL",
        ),
        (
            {"security_protocol": "SASL_PLAINTEXT"},
            "SCREENING_SSL_CAFILE set but SCREENING_SECURITY_PROTOCOL=SASL_PLAINTEXT does not use TLS",
        ),
    ],
)  # fmt: skip
def test_unusable_settings_fail_with_the_variable_named(
    ca_pem: Path, password_file: Path, changes: dict[str, object], message: str
) -> None:
    settings = scram(ca_pem, password_file, **changes)
    for build in (kafka_python_config, aiokafka_config, faust_config):
        with pytest.raises(SecuritySettingsError) as refused:
            build(settings)
        assert message in str(refused.value)
        assert "\n" not in str(refused.value)


def test_an_empty_password_file_is_refused(ca_pem: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(SecuritySettingsError, match=r"SCREENING_SASL_PASSWORD_FILE: .* is empty"):
        kafka_python_config(scram(ca_pem, empty))


def test_a_ca_file_that_is_not_a_certificate_is_refused(password_file: Path, tmp_path: Path) -> None:
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(SecuritySettingsError, match=r"SCREENING_SSL_CAFILE: .* is not a PEM CA certificate"):
        aiokafka_config(scram(garbage, password_file))


@pytest.mark.parametrize(
    ("acks", "idempotence", "expected"),
    [
        ("all", True, ("all", True)),
        ("1", False, (1, False)),
        ("0", False, (0, False)),
        ("-1", True, ("all", True)),
    ],
)
def test_producer_delivery_settings(acks: str, idempotence: bool, expected: tuple[object, bool]) -> None:
    config = kafka_python_producer_config(Settings(producer_acks=acks, producer_idempotence=idempotence))
    assert (config["acks"], config["enable_idempotence"]) == expected


def test_idempotence_without_acks_all_is_refused() -> None:
    with pytest.raises(
        SecuritySettingsError, match="SCREENING_PRODUCER_IDEMPOTENCE needs SCREENING_PRODUCER_ACKS=all"
    ):
        kafka_python_producer_config(Settings(producer_acks="1"))
    with pytest.raises(SecuritySettingsError, match="SCREENING_PRODUCER_ACKS='many' is not one of all, 1, 0"):
        aiokafka_producer_config(Settings(producer_acks="many"))


def test_the_connection_check_names_an_unreachable_server_and_a_bad_setting(ca_pem: Path) -> None:
    closed = Settings(bootstrap_servers="127.0.0.1:1")
    with pytest.raises(ConnectionCheckError, match=r"^cannot reach 127\.0\.0\.1:1: "):
        asyncio.run(check_connection(closed, timeout_s=5))
    unusable = Settings(security_protocol="SASL_SSL", sasl_mechanism="GSSAPI", ssl_cafile=ca_pem)
    with pytest.raises(ConnectionCheckError, match="SCREENING_SASL_MECHANISM='GSSAPI' is not one of"):
        asyncio.run(check_connection(unusable))


def test_a_faust_app_hands_aiokafka_the_same_connection_options(ca_pem: Path, password_file: Path) -> None:
    import faust
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    settings = scram(ca_pem, password_file)
    app = faust.App("security-test", broker="kafka://127.0.0.1:1", **faust_config(settings))
    assert app.conf.producer_acks == -1
    handed = dict(credentials_to_aiokafka_auth(app.conf.broker_credentials))
    expected = aiokafka_config(settings)
    assert isinstance(handed.pop("ssl_context"), ssl.SSLContext)
    expected.pop("ssl_context")
    assert handed == expected
