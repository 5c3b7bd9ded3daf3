"""Signing, sealing, the retry schedule and the one HTTP POST of a webhook delivery.

The receiver checks ``X-Hetao-Signature: sha256=<hex>``, an HMAC-SHA256 under its secret of
``<X-Hetao-Timestamp>.<body>``; the timestamp lets it refuse old replays, and
``X-Hetao-Delivery`` is the same on every retry of one delivery, so it can drop repeats.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hetao import sealing
from hetao.errors import ValidationFailed
from hetao.sealing import SealingBox

#: Where the key that seals webhook secrets lives, inside the data directory.
SECRET_KEY_FILE = Path("secrets") / "webhook-secrets.key"
SIGNATURE_HEADER = "X-Hetao-Signature"
TIMESTAMP_HEADER = "X-Hetao-Timestamp"
DELIVERY_HEADER = "X-Hetao-Delivery"
#: Seconds a receiver has to answer; a slow one is retried later, never waited for.
TIMEOUT_SECONDS = 5.0
#: The first retry waits a minute, each next one twice as long, up to the cap.
FIRST_BACKOFF = dt.timedelta(minutes=1)
MAX_BACKOFF = dt.timedelta(hours=1)
#: After this many failed attempts a delivery is failed for good.
MAX_ATTEMPTS = 8
URL_MAX = 500


class SecretBox(SealingBox):
    """Seals and opens webhook secrets with the platform's 256-bit key (AES-GCM)."""

    purpose = b"hetao webhook secret"
    kind = "webhook secret"

    def seal(self, secret: str) -> bytes:
        return self.seal_bytes(secret.encode())

    def open(self, sealed: bytes) -> str:
        """The secret; ValueError if it was sealed under another key or altered."""
        return self.open_bytes(sealed).decode()


def install(app: object, box: SecretBox) -> None:
    """Make ``box`` the one that seals and opens the webhook secrets of ``app``."""
    sealing.install(app, box)


def box_of(app: object) -> SecretBox:
    """The box ``install`` gave ``app``."""
    return sealing.box_of(app, SecretBox)


def new_secret() -> str:
    """A fresh signing secret, shown to the party once."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Hetao-Signature value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1, 2, 4 ... minutes, capped."""
    wait: dt.timedelta = FIRST_BACKOFF * 2 ** max(attempts - 1, 0)
    return min(wait, MAX_BACKOFF)


# --- where a webhook may point ---------------------------------------------------------------


def _bad_url(rule: str, message: str) -> ValidationFailed:
    return ValidationFailed.single("url", f"webhook.{rule}", message)


def check_url(url: str) -> str:
    """An https URL, or http to the loopback address (a receiver on this machine); else 422.

    The host is checked again when each delivery is sent, on the addresses its name resolves to
    then, and only those are connected to (``connect_checked``).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise _bad_url("url_scheme", "must be an https:// URL")
    if parts.username or parts.password:
        raise _bad_url("url_credentials", "must not carry a user name or password")
    if parts.scheme == "http" and not _is_loopback_name(parts.hostname):
        raise _bad_url("url_plain_http", "plain http is allowed only to the loopback address")
    literal = _literal_address(parts.hostname)
    if literal is not None and refused_address(literal):
        raise _bad_url("url_address", "must not point at a private, link-local or reserved address")
    return url


def _is_loopback_name(host: str) -> bool:
    literal = _literal_address(host)
    return host == "localhost" or (literal is not None and literal.is_loopback)


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether a delivery may not go to ``address`` (SSRF): any non-public one but loopback."""
    if address.is_loopback:
        return False
    return not address.is_global or address.is_multicast


def checked_addresses(host: str, port: int) -> list[tuple[Any, ...]]:
    """``host``'s addresses for a TCP connection, or OSError if any is one ``refused_address``
    names: the answer that is checked is the one connected to (``connect_checked``)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    for *_, sockaddr in found:
        if refused_address(ipaddress.ip_address(sockaddr[0])):
            raise OSError(f"{host} resolves to a refused address")
    return found


def connect_checked(
    address: tuple[str, int], timeout: float | None = None, *_args: Any
) -> socket.socket:
    """A socket connected to one of the checked addresses of ``address``'s host.

    The name is resolved once, here: a second resolution at connect time could answer with an
    inside address after the check passed (DNS rebinding). TLS still verifies the host name.
    """
    host, port = address
    failure: OSError = OSError(f"{host} has no address")
    for family, kind, protocol, _, sockaddr in checked_addresses(host, port):
        connection = socket.socket(family, kind, protocol)
        try:
            connection.settimeout(timeout)
            connection.connect(sockaddr)
        except OSError as error:
            connection.close()
            failure = error
            continue
        return connection
    raise failure


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = connect_checked


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = connect_checked


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self) -> None:
        # The platform's trust store and host name checks, as urllib's own default.
        self._tls = ssl.create_default_context()
        super().__init__(context=self._tls)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPSConnection, req, context=self._tls)


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt gave: the receiver's status, or an error; and how long it took."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def accepted(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, never followed: it could lead the request anywhere."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


# No proxy from the environment, no redirects, and connections only to the addresses checked:
# the request goes where the URL says, or nowhere.
_OPENER = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), _NoRedirects(), _CheckedHTTPHandler(), _CheckedHTTPSHandler()
)


def post(url: str, *, secret: str, delivery_id: str, body: bytes, now: dt.datetime) -> Outcome:
    """POST ``body`` signed under ``secret``; never raises for what the network does."""
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked: https or loopback)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "hetao-webhooks/1",
            SIGNATURE_HEADER: signature(secret, timestamp, body),
            TIMESTAMP_HEADER: timestamp,
            DELIVERY_HEADER: delivery_id,
        },
    )
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        check_url(url)
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            status = int(response.status)
    except urllib.error.HTTPError as answered:
        status = int(answered.code)
    except (OSError, ValidationFailed) as failed:
        error = _describe(failed)
    elapsed = int((time.monotonic() - started) * 1000)
    return Outcome(status_code=status, error=error, duration_ms=elapsed)


def _describe(error: Exception) -> str:
    """A short reason without the URL's query or anything secret."""
    if isinstance(error, ValidationFailed):
        return "refused address"
    reason = getattr(error, "reason", None) or error
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timeout"
    return f"{type(reason).__name__}: {reason}"[:200]
