"""Secret files made on first use (signing keys, the selection secret), safe for many processes.

Several server processes may start together on a fresh data directory. Each makes a candidate
file of its own and publishes it with a hard link, which fails if the name exists; so exactly
one candidate wins, and no process ever reads a file that is still being written.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], bytes]) -> tuple[bytes, bool]:
    """The bytes at ``path`` and False; or, if there is no such file, ``make()``'s bytes written
    there (mode 0600, flushed to disk) and True. Concurrent callers all get the same bytes."""
    if path.exists():
        return path.read_bytes(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(make())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(candidate, path)
            created = True
        except FileExistsError:
            created = False  # another process published first: theirs is the secret
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(candidate)
    return path.read_bytes(), created
