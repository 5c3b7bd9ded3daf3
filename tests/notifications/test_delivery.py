"""Signing, sealing, the retry schedule and where a webhook may point: no database."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hetao.errors import ValidationFailed
from hetao.notifications import delivery
from hetao.notifications.delivery import SecretBox, backoff, check_url, signature
from notifications.support import receiver

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


class TestSignature:
    def test_is_the_hmac_sha256_of_timestamp_dot_body(self) -> None:
        body = b'{"event":"registry:application:approve"}'
        expected = hmac.new(b"whsec_x", b"1700000000." + body, hashlib.sha256).hexdigest()
        assert signature("whsec_x", "1700000000", body) == f"sha256={expected}"

    def test_changes_with_the_body_the_time_and_the_secret(self) -> None:
        base = signature("s1", "1", b"a")
        assert len({base, signature("s1", "1", b"b"), signature("s1", "2", b"a")}) == 3
        assert signature("s2", "1", b"a") != base


class TestSecretBox:
    def test_seals_so_that_only_its_key_opens(self, tmp_path: Path) -> None:
        box = SecretBox.load_or_create(tmp_path / "k")
        sealed = box.seal("whsec_abc")
        assert b"whsec_abc" not in sealed
        assert box.open(sealed) == "whsec_abc"
        other = SecretBox.load_or_create(tmp_path / "other")
        with pytest.raises(ValueError, match="does not open"):
            other.open(sealed)

    def test_the_key_file_is_made_once_and_private(self, tmp_path: Path) -> None:
        path = tmp_path / "secrets" / "webhook.key"
        sealed = SecretBox.load_or_create(path).seal("s")
        assert SecretBox.load_or_create(path).open(sealed) == "s"
        assert path.stat().st_mode & 0o077 == 0

    def test_two_seals_of_one_secret_differ(self, tmp_path: Path) -> None:
        box = SecretBox.load_or_create(tmp_path / "k")
        assert box.seal("s") != box.seal("s")
        assert "key" in repr(box)
        assert "s" not in repr(box).replace("SecretBox", "")


class TestBackoff:
    def test_doubles_from_one_minute_up_to_the_cap(self) -> None:
        minutes = [backoff(n) / dt.timedelta(minutes=1) for n in range(1, 10)]
        assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]

    def test_the_schedule_ends_in_failure_after_the_maximum(self) -> None:
        assert delivery.MAX_ATTEMPTS == 8
        total = sum((backoff(n) for n in range(1, delivery.MAX_ATTEMPTS)), dt.timedelta())
        assert total == dt.timedelta(minutes=1 + 2 + 4 + 8 + 16 + 32 + 60)


class TestWhereAWebhookMayPoint:
    @pytest.mark.parametrize(
        "url",
        [
            "https://hooks.example.com/hetao",
            "https://1.1.1.1:8443/in",
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://[::1]:9000/",
        ],
    )
    def test_accepts_https_and_plain_http_to_loopback(self, url: str) -> None:
        assert check_url(url) == url

    @pytest.mark.parametrize(
        ("url", "rule"),
        [
            ("ftp://example.com/x", "webhook.url_scheme"),
            ("https:///nohost", "webhook.url_scheme"),
            ("http://example.com/hook", "webhook.url_plain_http"),
            ("http://10.0.0.5/hook", "webhook.url_plain_http"),
            ("https://10.0.0.5/hook", "webhook.url_address"),
            ("https://192.168.1.1/hook", "webhook.url_address"),
            ("https://169.254.169.254/latest/meta-data", "webhook.url_address"),
            ("https://[fd00::1]/hook", "webhook.url_address"),
            ("https://user:pw@example.com/hook", "webhook.url_credentials"),
        ],
    )
    def test_refuses_other_schemes_private_addresses_and_credentials(
        self, url: str, rule: str
    ) -> None:
        with pytest.raises(ValidationFailed) as refused:
            check_url(url)
        assert [p.rule for p in refused.value.problems] == [rule]

    def test_documentation_addresses_are_not_public(self) -> None:
        with pytest.raises(ValidationFailed):
            check_url("https://203.0.113.9/hook")

    def test_a_name_that_resolves_to_a_private_address_is_refused_when_sent(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def resolves_inside(*_args: object, **_kwargs: object) -> list[tuple[object, ...]]:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443))]

        monkeypatch.setattr(socket, "getaddrinfo", resolves_inside)
        outcome = delivery.post(
            "https://hooks.example.com/in", secret="s", delivery_id="d", body=b"{}", now=NOW
        )
        assert outcome.status_code is None
        assert outcome.error is not None
        assert "refused address" in outcome.error


class TestPost:
    def test_connects_to_the_address_it_checked_not_to_a_second_answer(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """DNS rebinding: the name answers a loopback address once, then an inside one. The
        delivery resolves once and connects to what it checked."""
        real = socket.getaddrinfo
        answers: list[str] = []

        def rebinding(host: str, port: int, *args: object, **kwargs: object) -> list[Any]:
            address = "127.0.0.1" if not answers else "10.1.2.3"
            answers.append(address)
            return real(address, port, *args, **kwargs)  # type: ignore[arg-type]

        with receiver(secret="s") as hook:
            monkeypatch.setattr(socket, "getaddrinfo", rebinding)
            url = f"http://localhost:{hook.port}/hook"
            outcome = delivery.post(url, secret="s", delivery_id="d", body=b"{}", now=NOW)
            monkeypatch.setattr(socket, "getaddrinfo", real)
        assert outcome.accepted, outcome.error
        assert answers == ["127.0.0.1"]
        assert len(hook.received) == 1

    def test_https_goes_through_the_checked_connection_and_verifies_the_certificate(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """A TLS receiver with a certificate nobody trusts: the delivery resolves the name once,
        connects, and refuses the certificate (the host name and trust are still checked)."""
        real = socket.getaddrinfo
        asked: list[str] = []

        def counted(host: str, *args: object, **kwargs: object) -> list[Any]:
            asked.append(host)
            return real(host, *args, **kwargs)  # type: ignore[arg-type]

        with tls_listener(tmp_path) as port:
            monkeypatch.setattr(socket, "getaddrinfo", counted)
            outcome = delivery.post(
                f"https://localhost:{port}/hook", secret="s", delivery_id="d", body=b"{}", now=NOW
            )
            monkeypatch.setattr(socket, "getaddrinfo", real)
        assert outcome.status_code is None
        assert outcome.error is not None
        assert "CERTIFICATE_VERIFY_FAILED" in outcome.error
        assert asked == ["localhost"]

    def test_sends_the_signed_headers(self) -> None:
        with receiver(secret="whsec_t") as hook:
            outcome = delivery.post(
                hook.url, secret="whsec_t", delivery_id="abc123", body=b'{"a":1}', now=NOW
            )
        assert outcome.accepted
        assert outcome.status_code == 204
        (got,) = hook.received
        assert got.signed
        assert got.headers["X-Hetao-Delivery"] == "abc123"
        assert got.headers["X-Hetao-Timestamp"] == str(int(NOW.timestamp()))
        assert got.headers["Content-Type"] == "application/json"

    def test_never_follows_a_redirect(self) -> None:
        with (
            receiver(secret="s") as target,
            receiver(secret="s", status=307, extra_headers={"Location": target.url}) as redirecting,
        ):
            outcome = delivery.post(
                redirecting.url, secret="s", delivery_id="d", body=b"{}", now=NOW
            )
        assert outcome.status_code == 307
        assert not outcome.accepted
        assert target.received == []

    def test_a_closed_port_is_an_error_not_an_exception(self) -> None:
        with receiver() as hook:
            url = hook.url
        outcome = delivery.post(url, secret="s", delivery_id="d", body=b"{}", now=NOW)
        assert outcome.status_code is None
        assert outcome.error
        assert "refused" in outcome.error.lower()


@contextmanager
def tls_listener(directory: Path) -> Iterator[int]:
    """A TLS server on a loopback port with a fresh self-signed certificate for localhost; it
    completes handshakes (or fails them) until the block ends. Yields the port."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            # The client refuses our certificate mid-handshake: what the test expects.
            with connection, suppress(ssl.SSLError, OSError):
                context.wrap_socket(connection, server_side=True).close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
