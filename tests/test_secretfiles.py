"""Secret files made on first use: one winner when processes start together, never half a file."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from hetao.audit.checkpoints import Signer
from hetao.credentials.tokens import SigningKey
from hetao.crossing.intake import load_seed_key
from hetao.secretfiles import read_or_create

PROCESSES = 8
# Each process imports first, then waits for the start file, so all create at about one time.
CREATE_SIGNER = """
import sys, time
from pathlib import Path
from hetao.audit.checkpoints import Signer
start, path = Path(sys.argv[1]), Path(sys.argv[2])
while not start.exists():
    time.sleep(0.001)
print(Signer.load_or_create(path).key_id)
"""


def test_a_new_file_is_written_owner_only_and_reported_as_made(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "secret"
    content, created = read_or_create(path, lambda: b"first")
    assert (content, created) == (b"first", True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_or_create(path, lambda: b"second") == (b"first", False)
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # no candidate left behind


def test_processes_starting_together_share_one_audit_signing_key(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "signing-key.pem"
    start = tmp_path / "start"
    workers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", CREATE_SIGNER, str(start), str(path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    start.touch()
    key_ids = set()
    for worker in workers:
        out, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0
        key_ids.add(out.strip())
    assert key_ids == {Signer.load_or_create(path).key_id}
    assert [p.name for p in path.parent.iterdir()] == ["signing-key.pem"]


def test_the_credential_key_and_the_selection_secret_are_made_once(tmp_path: Path) -> None:
    credential_key = SigningKey.load_or_create(tmp_path / "credential.pem")
    assert SigningKey.load_or_create(tmp_path / "credential.pem").key_id == credential_key.key_id
    seed = load_seed_key(tmp_path / "selection.key")
    assert len(seed) == 32
    assert (tmp_path / "selection.key").read_text() == seed.hex()
