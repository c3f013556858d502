"""The sandbox tax bureau: taxpayers, filing status, service-hall appointments, tickets.

HTTP API (all under client auth; amounts are decimal strings in CNY):

=======================================  =====================================================
``POST /v1/verifications``               ``{"taxpayer_id_last4"}`` → 201 ``{"verification_id",
                                         "phone_masked", "expires_in_s"}``
``POST /v1/verifications/{id}/verify``   ``{"code"}`` → ``{"token", "expires_in_s"}``
``GET  /v1/filing-status?year=Y``        token → ``{"year", "status", "amount", "amount_kind",
                                         "due_date", "taxpayer_masked"}``
``GET  /v1/filings``                     token → ``{"filings": [{"year", "status"}]}`` the
                                         years with a filing record, newest first
``GET  /v1/slots?date=D&limit=N``        → ``{"slots": [{"slot_id", "date", "start", "end",
                                         "hall"}]}`` free slots, from today when no date
``POST /v1/appointments``                ``Idempotency-Key`` + ``{"slot_id", "visitor_name"?}``
                                         → 201 ``{"appointment_id", "slot_id", "date", "start",
                                         "hall", "status": "booked"}``; 409 ``slot_taken``
``POST /v1/appointments/{id}/cancel``    → ``{"appointment_id", "status": "cancelled"}``
``POST /v1/tickets``                     ``Idempotency-Key`` + ``{"kind", "text"}`` → 201
                                         ``{"ticket_id", "kind", "status": "open"}``
=======================================  =====================================================

No double booking: booking is one synchronous transaction, and a partial unique index allows one
``booked`` appointment per slot. Slots are kept filled for the next :data:`SLOT_DAYS` days.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import secrets
import sqlite3
import time
from zoneinfo import ZoneInfo

from aiohttp import web

from connectors.sandbox.bank import money
from connectors.sandbox.server import SandboxContext, masked, read_json, read_limit
from connectors.sandbox.store import ApiError, Store, Stored

SCHEMA = """
CREATE TABLE IF NOT EXISTS taxpayers (
    id TEXT PRIMARY KEY, last4 TEXT NOT NULL UNIQUE, name TEXT NOT NULL, phone TEXT NOT NULL,
    is_demo INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS filings (
    taxpayer_id TEXT NOT NULL REFERENCES taxpayers(id), year INTEGER NOT NULL,
    status TEXT NOT NULL, amount_cents INTEGER NOT NULL, due_date TEXT NOT NULL,
    PRIMARY KEY (taxpayer_id, year)
);
CREATE TABLE IF NOT EXISTS slots (
    id TEXT PRIMARY KEY, day TEXT NOT NULL, start TEXT NOT NULL, end TEXT NOT NULL,
    hall TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS appointments (
    id TEXT PRIMARY KEY, slot_id TEXT NOT NULL REFERENCES slots(id),
    status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled')),
    visitor_name TEXT, created_at REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS one_booking_per_slot
    ON appointments(slot_id) WHERE status = 'booked';
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, text TEXT NOT NULL, status TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""

#: The documented demo taxpayer (README.md): ID ending 2024, phone ending 88.
DEMO_TAXPAYER = {
    "id": "110101199001012024",
    "name": "Lin Demo",
    "phone": "13700001188",
}
#: ``(year, status, amount in cents (+ refund, - due), due date)`` of the demo taxpayer.
DEMO_FILINGS = [
    (2023, "assessed", 125000, "2024-06-30"),
    (2024, "processing", 0, "2025-06-30"),
    (2025, "not_filed", -86000, "2026-06-30"),
]
SLOT_DAYS = 14
SLOT_TIMES = ["09:00", "09:30", "10:00", "10:30", "11:00", "14:00", "14:30", "15:00", "15:30"]
HALLS = ["Hall A"]
TICKET_KINDS = ("complaint", "suggestion", "inquiry")
_LAST4 = re.compile(r"^\d{4}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAMES = ["Mei Sample", "Omar Test", "Petra Example", "Quan Fiction"]


def slot_id(day: dt.date, start: str, hall: str) -> str:
    """``S-2025-06-02-0900-A`` (the date stays readable after log masking)."""
    return f"S-{day.isoformat()}-{start.replace(':', '')}-{hall[-1]}"


#: The fictional bureau's calendar is China's (the dialog reads dates in the same zone, config
#: ``timezone``, default Asia/Shanghai); the host's zone (often UTC) would disagree for 8 hours.
BUREAU_TZ = ZoneInfo("Asia/Shanghai")


def bureau_today() -> dt.date:
    """Today's date at the bureau (:data:`BUREAU_TZ`)."""
    return dt.datetime.now(BUREAU_TZ).date()


def ensure_slots(store: Store, today: dt.date) -> None:
    """Create the weekday slots of the next :data:`SLOT_DAYS` days that do not exist yet."""
    for offset in range(SLOT_DAYS):
        day = today + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for hall in HALLS:
            for start in SLOT_TIMES:
                h, m = map(int, start.split(":"))
                end = (dt.datetime(2000, 1, 1, h, m) + dt.timedelta(minutes=30)).strftime("%H:%M")
                store.db.execute(
                    "INSERT OR IGNORE INTO slots VALUES (?, ?, ?, ?, ?)",
                    (slot_id(day, start, hall), day.isoformat(), start, end, hall),
                )


class TaxService:
    """The fictional tax bureau (see module docstring)."""

    name = "tax"
    schema = SCHEMA

    def seed(self, store: Store) -> None:
        """Seed the demo taxpayer and a few deterministic fictional ones."""
        db = store.db
        d = DEMO_TAXPAYER
        db.execute(
            "INSERT INTO taxpayers VALUES (?, ?, ?, ?, 1)",
            (d["id"], d["id"][-4:], d["name"], d["phone"]),
        )
        for year, status, cents, due in DEMO_FILINGS:
            db.execute(
                "INSERT INTO filings VALUES (?, ?, ?, ?, ?)", (d["id"], year, status, cents, due)
            )
        rng = random.Random(20250401)
        used = {"2024"}
        for name in _NAMES:
            last4 = f"{rng.randrange(10**4):04d}"
            while last4 in used:
                last4 = f"{rng.randrange(10**4):04d}"
            used.add(last4)
            tid = f"3101011985{rng.randrange(10**4):04d}{last4}"
            phone = f"1360000{rng.randrange(10**4):04d}"
            db.execute("INSERT INTO taxpayers VALUES (?, ?, ?, ?, 0)", (tid, last4, name, phone))
            for year in (2023, 2024):
                status = rng.choice(["assessed", "processing"])
                cents = rng.randrange(-200000, 200000) if status == "assessed" else 0
                db.execute(
                    "INSERT INTO filings VALUES (?, ?, ?, ?, ?)",
                    (tid, year, status, cents, f"{year + 1}-06-30"),
                )

    def routes(self, ctx: SandboxContext) -> list[web.RouteDef]:
        """The tax bureau's ``/v1`` routes (tops up the slot calendar first)."""
        ensure_slots(ctx.store, bureau_today())

        api = _TaxRoutes(ctx)
        return [
            web.post("/v1/verifications", api.start_verification),
            web.post("/v1/verifications/{vid}/verify", ctx.verify),
            web.get("/v1/filing-status", api.filing_status),
            web.get("/v1/filings", api.filings),
            web.get("/v1/slots", api.list_slots),
            web.post("/v1/appointments", api.book),
            web.post("/v1/appointments/{aid}/cancel", api.cancel),
            web.post("/v1/tickets", api.create_ticket),
        ]


class _TaxRoutes:
    """The tax bureau's request handlers, one method per ``/v1`` route (module docstring), over
    one sandbox's store."""

    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self.db = ctx.store.db

    async def start_verification(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        last4 = str(body.get("taxpayer_id_last4", ""))
        if not _LAST4.match(last4):
            raise ApiError(400, "invalid_id_last4", "taxpayer_id_last4 must be 4 digits")
        row = self.db.execute("SELECT * FROM taxpayers WHERE last4 = ?", (last4,)).fetchone()
        if row is None:
            raise ApiError(404, "taxpayer_not_found", "no taxpayer with these last digits")
        return self.ctx.send_code(row)

    async def filing_status(self, request: web.Request) -> web.Response:
        taxpayer = self.ctx.customer(request)
        try:
            year = int(request.query.get("year", ""))
        except ValueError as exc:
            raise ApiError(400, "invalid_year", "year must be an integer") from exc
        row = self.db.execute(
            "SELECT * FROM filings WHERE taxpayer_id = ? AND year = ?", (taxpayer, year)
        ).fetchone()
        if row is None:
            raise ApiError(404, "no_filing", "no filing record for that year")
        cents = row["amount_cents"]
        kind = "refund" if cents > 0 else "due" if cents < 0 else "none"
        return web.json_response(
            {
                "year": year,
                "status": row["status"],
                "amount": money(abs(cents)),
                "amount_kind": kind,
                "due_date": row["due_date"],
                "taxpayer_masked": masked(taxpayer),
            }
        )

    async def filings(self, request: web.Request) -> web.Response:
        """The years the verified taxpayer has a filing record for, newest first: what the
        avatar names when a year has none ("no record for 2026", dialogfix18 #2)."""
        taxpayer = self.ctx.customer(request)
        rows = self.db.execute(
            "SELECT year, status FROM filings WHERE taxpayer_id = ? ORDER BY year DESC",
            (taxpayer,),
        ).fetchall()
        return web.json_response(
            {"filings": [{"year": r["year"], "status": r["status"]} for r in rows]}
        )

    async def list_slots(self, request: web.Request) -> web.Response:
        day = request.query.get("date") or None
        if day is not None and not _DATE.match(day):
            raise ApiError(400, "invalid_date", "date must be YYYY-MM-DD")
        limit = read_limit(request, default=20, most=100)
        where = "s.day = ?" if day else "s.day >= ?"
        rows = self.db.execute(
            "SELECT s.* FROM slots s WHERE " + where + " AND NOT EXISTS (SELECT 1 FROM"
            " appointments a WHERE a.slot_id = s.id AND a.status = 'booked')"
            " ORDER BY s.day, s.start, s.hall LIMIT ?",
            (day or bureau_today().isoformat(), limit),
        ).fetchall()
        return web.json_response(
            {
                "slots": [
                    {
                        "slot_id": r["id"],
                        "date": r["day"],
                        "start": r["start"],
                        "end": r["end"],
                        "hall": r["hall"],
                    }
                    for r in rows
                ]
            }
        )

    async def book(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        sid = str(body.get("slot_id", ""))[:64]
        name = body.get("visitor_name")
        if name is not None and (not isinstance(name, str) or len(name) > 100):
            raise ApiError(400, "invalid_name", "visitor_name must be a short string")

        def effect() -> Stored:
            slot = self.db.execute("SELECT * FROM slots WHERE id = ?", (sid,)).fetchone()
            if slot is None:
                raise ApiError(404, "slot_not_found", "no such slot")
            aid = "A-" + secrets.token_hex(4).upper()
            try:
                self.db.execute(
                    "INSERT INTO appointments VALUES (?, ?, 'booked', ?, ?)",
                    (aid, sid, name, time.time()),
                )
            except sqlite3.IntegrityError:
                raise ApiError(409, "slot_taken", "the slot is already booked") from None
            return Stored(
                201,
                {
                    "appointment_id": aid,
                    "slot_id": sid,
                    "date": slot["day"],
                    "start": slot["start"],
                    "hall": slot["hall"],
                    "status": "booked",
                },
            )

        return self.ctx.once(request, "book_appointment", {"slot_id": sid, "name": name}, effect)

    async def cancel(self, request: web.Request) -> web.Response:
        aid = request.match_info["aid"]
        row = self.db.execute("SELECT * FROM appointments WHERE id = ?", (aid,)).fetchone()
        if row is None:
            raise ApiError(404, "appointment_not_found", "no such appointment")
        self.db.execute("UPDATE appointments SET status = 'cancelled' WHERE id = ?", (aid,))
        return web.json_response({"appointment_id": aid, "status": "cancelled"})

    async def create_ticket(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        kind, text = body.get("kind"), body.get("text")
        if kind not in TICKET_KINDS:
            raise ApiError(400, "invalid_kind", "kind must be complaint, suggestion or inquiry")
        if not isinstance(text, str) or not 1 <= len(text.strip()) <= 2000:
            raise ApiError(400, "invalid_text", "text must be 1..2000 characters")

        def effect() -> Stored:
            tid = "T-" + secrets.token_hex(4).upper()
            self.db.execute(
                "INSERT INTO tickets VALUES (?, ?, ?, 'open', ?)",
                (tid, kind, text.strip(), time.time()),
            )
            return Stored(201, {"ticket_id": tid, "kind": kind, "status": "open"})

        return self.ctx.once(request, "create_ticket", {"kind": kind, "text": text}, effect)
