"""SQLite state shared by both sandbox services: one-time codes, customer tokens, idempotency.

Everything here is synchronous and runs on the server's event-loop thread with no ``await``
between a check and its write, so each request's read-modify-write is atomic with respect to the
others; SQLite constraints (primary keys, a partial unique index in ``tax``) back that up.

OTP pattern (both systems): ``start`` creates a verification with a 6-digit code valid
:data:`OTP_TTL_S` seconds; ``verify`` with the right code returns a customer token valid
:data:`TOKEN_TTL_S` seconds; :data:`MAX_WRONG_CODES` wrong codes lock the verification for good.

Data at rest: the database file (and SQLite's ``-wal``/``-shm`` files, which take its mode) is
readable by its owner only (0600). Neither a code nor a token is stored: a code is kept as
HMAC-SHA256 under a key that is not in the database (:attr:`Store.code_key`; a six-digit code's
plain hash would fall to a million guesses), a token — 192 random bits — as its SHA-256. Whoever
copies the file cannot verify as a customer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.files import private_file

OTP_TTL_S = 300
TOKEN_TTL_S = 300
MAX_WRONG_CODES = 3
#: The documented fixed code of the demo customers when the sandbox runs with demo OTP on.
DEMO_OTP_CODE = "123456"

_COMMON_SCHEMA = """
CREATE TABLE IF NOT EXISTS verifications (
    id TEXT PRIMARY KEY,
    subject_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at REAL NOT NULL,
    wrong_attempts INTEGER NOT NULL DEFAULT 0,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    subject_id TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS customers_seeded (at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (scope, key)
);
"""


class ApiError(Exception):
    """An HTTP error answer: ``status`` with body ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Stored:
    """A response kept for an idempotency key: HTTP status and JSON body."""

    status: int
    body: dict[str, Any]


#: Tables of short-lived secrets; a database from before they were hashed has their old
#: columns (``code``, ``token``) and gets them empty and new (nothing in them outlives minutes).
_HASHED_TABLES = {"verifications": "code_hash", "tokens": "token_hash"}


class Store:
    """The sandbox's SQLite connection (autocommit; explicit transactions where needed).

    Args:
        path: the database file (created 0600).
        schema: the service's own tables.
        code_key: the HMAC key of one-time codes (module docstring); random when not given
            (codes then verify only in this process).
    """

    def __init__(self, path: Path, schema: str, code_key: bytes | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        private_file(path)
        self.path = path
        self.code_key = code_key or secrets.token_bytes(32)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        for table, column in _HASHED_TABLES.items():
            columns = {r["name"] for r in self.db.execute(f"PRAGMA table_info({table})")}
            if columns and column not in columns:
                self.db.execute(f"DROP TABLE {table}")
        self.db.executescript(_COMMON_SCHEMA + schema)

    def _code_hash(self, verification_id: str, code: str) -> str:
        message = f"{verification_id}:{code}".encode()
        return hmac.new(self.code_key, message, hashlib.sha256).hexdigest()

    @staticmethod
    def _token_hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def is_empty(self, table: str) -> bool:
        """Whether ``table`` has no rows (used to seed on first start)."""
        return self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0

    # --- one-time codes -------------------------------------------------------------------
    def start_verification(self, subject_id: str, *, fixed_code: str | None) -> tuple[str, str]:
        """Create a verification for ``subject_id``. The code is random 6 digits unless
        ``fixed_code`` is given (demo OTP mode); only its HMAC is stored.

        Returns:
            ``(verification_id, code)`` — the code for the text message, never stored.
        """
        vid = "v_" + secrets.token_hex(8)
        code = fixed_code or f"{secrets.randbelow(10**6):06d}"
        self.db.execute(
            "INSERT INTO verifications (id, subject_id, code_hash, created_at) VALUES (?, ?, ?, ?)",
            (vid, subject_id, self._code_hash(vid, code), time.time()),
        )
        return vid, code

    def verify(self, verification_id: str, code: str) -> tuple[str, int]:
        """Check ``code``; on success issue a customer token.

        Returns:
            ``(token, expires_in_s)``.

        Raises:
            ApiError: 404 unknown verification; 401 ``otp_expired`` / ``otp_used`` /
                ``otp_wrong``; 403 ``otp_locked`` after :data:`MAX_WRONG_CODES` wrong codes.
        """
        row = self.db.execute(
            "SELECT * FROM verifications WHERE id = ?", (verification_id,)
        ).fetchone()
        if row is None:
            raise ApiError(404, "verification_not_found", "no such verification")
        if row["wrong_attempts"] >= MAX_WRONG_CODES:
            raise ApiError(403, "otp_locked", "too many wrong codes; start a new verification")
        if row["used"]:
            raise ApiError(401, "otp_used", "this code was already used")
        if time.time() - row["created_at"] > OTP_TTL_S:
            raise ApiError(401, "otp_expired", "the code has expired")
        given = self._code_hash(verification_id, str(code))
        if not hmac.compare_digest(str(row["code_hash"]), given):
            wrong = row["wrong_attempts"] + 1
            self.db.execute(
                "UPDATE verifications SET wrong_attempts = ? WHERE id = ?", (wrong, verification_id)
            )
            if wrong >= MAX_WRONG_CODES:
                raise ApiError(403, "otp_locked", "too many wrong codes; start a new verification")
            raise ApiError(401, "otp_wrong", f"wrong code; {MAX_WRONG_CODES - wrong} attempts left")
        token = "t_" + secrets.token_urlsafe(24)
        self.db.execute("UPDATE verifications SET used = 1 WHERE id = ?", (verification_id,))
        self.db.execute(
            "INSERT INTO tokens (token_hash, subject_id, expires_at) VALUES (?, ?, ?)",
            (self._token_hash(token), row["subject_id"], time.time() + TOKEN_TTL_S),
        )
        return token, TOKEN_TTL_S

    def subject_for_token(self, token: str | None) -> str:
        """The customer a token was issued to.

        Raises:
            ApiError: 401 ``not_verified`` when the token is missing, unknown or expired.
        """
        if not token:
            raise ApiError(401, "not_verified", "a verification token is required")
        row = self.db.execute(
            "SELECT subject_id, expires_at FROM tokens WHERE token_hash = ?",
            (self._token_hash(token),),
        ).fetchone()
        if row is None or row["expires_at"] < time.time():
            raise ApiError(401, "not_verified", "the verification token is invalid or expired")
        return str(row["subject_id"])

    # --- idempotency ----------------------------------------------------------------------
    def once(
        self,
        scope: str,
        key: str | None,
        request: dict[str, Any],
        effect: Callable[[], Stored],
    ) -> Stored:
        """Run a side effect at most once per ``(scope, key)``.

        Args:
            scope: the operation (``freeze_card`` …).
            key: the client's ``Idempotency-Key``; required.
            request: the request's arguments; a reused key with other arguments is a conflict.
            effect: does the work inside the transaction and returns the response to keep.

        Returns:
            The stored response of the first request with this key (``replayed`` is not marked;
            the body is byte-for-byte the same).

        Raises:
            ApiError: 400 without a key; 409 ``idempotency_key_reuse`` on other arguments.
        """
        if not key or len(key) > 200:
            raise ApiError(400, "idempotency_key_required", "send an Idempotency-Key header")
        digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        row = self.db.execute(
            "SELECT request_hash, status, body FROM idempotency WHERE scope = ? AND key = ?",
            (scope, key),
        ).fetchone()
        if row is not None:
            if row["request_hash"] != digest:
                raise ApiError(
                    409, "idempotency_key_reuse", "key already used with other arguments"
                )
            return Stored(int(row["status"]), json.loads(row["body"]))
        self.db.execute("BEGIN IMMEDIATE")
        try:
            result = effect()
            self.db.execute(
                "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (scope, key, digest, result.status, json.dumps(result.body), time.time()),
            )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return result
