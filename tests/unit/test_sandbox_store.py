"""connectors.sandbox.store at rest: the database file is 0600, one-time codes and customer
tokens are never stored (an HMAC and a hash are), a code verifies under the same key after a
restart and not under another, and a database from before the hashing gets fresh tables."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from connectors.sandbox.store import ApiError, Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def dump(path: Path) -> str:
    db = sqlite3.connect(str(path))
    try:
        return "\n".join(db.iterdump())
    finally:
        db.close()


def test_codes_and_tokens_are_hashed_and_files_private(tmp_path: Path) -> None:
    path = tmp_path / "sandbox-bank.db"
    path.write_bytes(b"")
    path.chmod(0o644)  # an old file, readable by everyone: made private on open
    store = Store(path, "", code_key=b"k" * 32)
    vid, code = store.start_verification("c1", fixed_code=None)
    assert len(code) == 6 and code.isdigit()
    token, _ = store.verify(vid, code)
    assert store.subject_for_token(token) == "c1"
    store.close()
    text = dump(path)
    assert code not in text.replace(vid, "") and token not in text
    assert mode(path) == 0o600
    for sidecar in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        assert not sidecar.exists() or mode(sidecar) == 0o600

    again = Store(path, "", code_key=b"k" * 32)  # a restarted sandbox: same key, same codes
    vid, code = again.start_verification("c2", fixed_code="123456")
    again.close()
    restarted = Store(path, "", code_key=b"k" * 32)
    assert restarted.verify(vid, "123456")[0].startswith("t_")
    vid, code = restarted.start_verification("c3", fixed_code="123456")
    restarted.close()
    other_key = Store(path, "", code_key=b"x" * 32)
    with pytest.raises(ApiError) as wrong:
        other_key.verify(vid, "123456")
    assert wrong.value.code == "otp_wrong"
    other_key.close()


def test_a_database_from_before_the_hashing_gets_new_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(str(path))
    db.execute("CREATE TABLE verifications (id TEXT PRIMARY KEY, subject_id TEXT, code TEXT)")
    db.execute("INSERT INTO verifications VALUES ('v_1', 'c1', '654321')")
    db.execute("CREATE TABLE tokens (token TEXT PRIMARY KEY, subject_id TEXT, expires_at REAL)")
    db.execute("INSERT INTO tokens VALUES ('t_plain', 'c1', 1e12)")
    db.commit()
    db.close()
    store = Store(path, "")
    with pytest.raises(ApiError):
        store.subject_for_token("t_plain")
    store.close()
    assert "654321" not in dump(path) and "t_plain" not in dump(path)
