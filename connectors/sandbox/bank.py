"""The sandbox bank: customers, accounts, transactions, cards, one-time codes, card freezing,
the branch's counter queue, complaints.

HTTP API (all under client auth; amounts are decimal strings in CNY, e.g. ``"12345.67"``):

==========================================  ==================================================
``POST /v1/verifications``                  ``{"card_last4"}`` → 201 ``{"verification_id",
                                            "phone_masked", "expires_in_s"}``
``POST /v1/verifications/{id}/verify``      ``{"code"}`` → ``{"token", "expires_in_s"}``
``GET  /v1/balance``                        token → ``{"accounts": [...], "balance",
                                            "currency", "account_masked"}``
``GET  /v1/transactions?limit=N``           token → ``{"transactions": [...]}`` (newest first)
``GET  /v1/cards/{last4}``                   token → ``{"card_masked", "status": "active"|"frozen"}``
``POST /v1/cards/{last4}/freeze``           token + ``Idempotency-Key`` → ``{"card_masked",
                                            "status": "frozen", "freeze_id", "frozen_at"}``
``POST /v1/queue-tickets``                  ``{"service": "cash"|"cards"|"accounts"}`` +
                                            ``Idempotency-Key`` → 201 ``{"ticket_number":
                                            "A023", "service", "waiting", "issued_at"}``
                                            (no customer token: anyone may queue)
``POST /v1/complaints``                     ``{"text"}`` (1..2000 characters) +
                                            ``Idempotency-Key`` → 201 ``{"complaint_id":
                                            "K-1A2B3C4D", "status": "open", "received_at"}``
                                            (no customer token: anyone may complain)
==========================================  ==================================================

The customer token travels in ``X-Customer-Token``. Seed data: see ``README.md`` beside this file.
"""

from __future__ import annotations

import random
import re
import secrets
import time
from datetime import date, timedelta
from typing import Any

from aiohttp import web

from connectors.sandbox.server import SandboxContext, masked, read_json, read_limit
from connectors.sandbox.store import ApiError, Store, Stored

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, phone TEXT NOT NULL, is_demo INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    number TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL, balance_cents INTEGER NOT NULL, currency TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cards (
    number TEXT PRIMARY KEY, last4 TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    account_number TEXT NOT NULL REFERENCES accounts(number),
    status TEXT NOT NULL CHECK (status IN ('active', 'frozen')), frozen_at REAL
);
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY, account_number TEXT NOT NULL REFERENCES accounts(number),
    posted_on TEXT NOT NULL, description TEXT NOT NULL, amount_cents INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS card_events (
    id INTEGER PRIMARY KEY, card_number TEXT NOT NULL REFERENCES cards(number),
    event TEXT NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_tickets (
    id INTEGER PRIMARY KEY, service TEXT NOT NULL, number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('waiting', 'served')), issued_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS complaints (
    id TEXT PRIMARY KEY, text TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')), received_at REAL NOT NULL
);
"""

#: The documented demo customer (README.md): card ending 4417, phone ending 88.
DEMO_CUSTOMER = {
    "id": "C0001",
    "name": "Alex Demo",
    "phone": "13900001288",
    "card": "6217991000024417",
    "checking": "6228480012345671",
    "savings": "6228480012345689",
}
#: The demo card unfreezes itself this long after it was frozen (s): the README's lost-card
#: demo froze it for every later visitor of a kiosk, and across restarts of the engine, who
#: then only ever heard "already frozen" (newcomer15). Longer than one visit, so a visitor
#: who asks again still hears that it is frozen.
DEMO_FREEZE_S = 600.0

#: The demo customer's transactions: (days before the seed day, description, cents). Dated
#: relative to the day the sandbox is seeded, so "my recent transactions" are recent (fixed
#: March 2025 dates read as a year and more old).
_DEMO_TRANSACTIONS = [
    (15, "Salary — Example Tech Co.", 1850000),
    (13, "Rent — Sunny Apartments", -450000),
    (11, "Metro card top-up", -10000),
    (8, "Supermarket", -32650),
    (4, "Electricity bill", -18820),
    (1, "Coffee shop", -3200),
]
_NAMES = ["Bea Sample", "Chen Test", "Dana Example", "Eli Placeholder", "Fang Fiction"]
_SHOPS = ["Supermarket", "Bookstore", "Pharmacy", "Restaurant", "Online shop", "Taxi"]
_LAST4 = re.compile(r"^\d{4}$")
#: Counter services and their ticket letter (A023 is the 23rd cash ticket of the day).
QUEUE_PREFIX = {"cash": "A", "cards": "B", "accounts": "C"}
#: Seeded queue: (tickets already issued, of which still waiting) per service.
_QUEUE_SEED = {"cash": (22, 3), "cards": (8, 1), "accounts": (14, 2)}


def iso_utc(t_s: float) -> str:
    """A Unix time (seconds) as ISO 8601 UTC to the second: ``2026-12-06T08:30:00Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_s))


def money(cents: int) -> str:
    """Integer cents → decimal string with 2 places (``-12345`` → ``"-123.45"``)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _insert_customer(store: Store, c: dict[str, Any], demo: bool) -> None:
    db = store.db
    db.execute(
        "INSERT INTO customers VALUES (?, ?, ?, ?)", (c["id"], c["name"], c["phone"], int(demo))
    )
    db.execute(
        "INSERT INTO accounts VALUES (?, ?, 'checking', ?, 'CNY')",
        (c["checking"], c["id"], c["checking_cents"]),
    )
    db.execute(
        "INSERT INTO accounts VALUES (?, ?, 'savings', ?, 'CNY')",
        (c["savings"], c["id"], c["savings_cents"]),
    )
    db.execute(
        "INSERT INTO cards VALUES (?, ?, ?, ?, 'active', NULL)",
        (c["card"], c["card"][-4:], c["id"], c["checking"]),
    )
    for posted_on, text, cents in c["transactions"]:
        db.execute(
            "INSERT INTO transactions (account_number, posted_on, description, amount_cents)"
            " VALUES (?, ?, ?, ?)",
            (c["checking"], posted_on, text, cents),
        )


class BankService:
    """The fictional bank (see module docstring)."""

    name = "bank"
    schema = SCHEMA

    def seed(self, store: Store) -> None:
        """Seed the demo customer and a few deterministic fictional ones."""
        demo = dict(DEMO_CUSTOMER, checking_cents=1234567, savings_cents=5000000)
        today = date.today()
        demo["transactions"] = [
            ((today - timedelta(days=ago)).isoformat(), text, cents)
            for ago, text, cents in _DEMO_TRANSACTIONS
        ]
        _insert_customer(store, demo, demo=True)
        rng = random.Random(20250301)
        used = {"4417"}
        for i, name in enumerate(_NAMES, start=2):
            last4 = f"{rng.randrange(10**4):04d}"
            while last4 in used:
                last4 = f"{rng.randrange(10**4):04d}"
            used.add(last4)
            start = today - timedelta(days=20)
            c = {
                "id": f"C{i:04d}",
                "name": name,
                "phone": f"1370000{rng.randrange(10**4):04d}",
                "card": f"621799100002{last4}",
                "checking": f"62284800{rng.randrange(10**8):08d}",
                "savings": f"62284801{rng.randrange(10**8):08d}",
                "checking_cents": rng.randrange(10**4, 10**7),
                "savings_cents": rng.randrange(10**4, 10**8),
                "transactions": [
                    (
                        (start + timedelta(days=d)).isoformat(),
                        rng.choice(_SHOPS),
                        -rng.randrange(500, 50000),
                    )
                    for d in range(0, 20, 4)
                ],
            }
            _insert_customer(store, c, demo=False)
        for service, (issued, waiting) in _QUEUE_SEED.items():
            for n in range(1, issued + 1):
                status = "waiting" if n > issued - waiting else "served"
                store.db.execute(
                    "INSERT INTO queue_tickets (service, number, status, issued_at)"
                    " VALUES (?, ?, ?, 0)",
                    (service, f"{QUEUE_PREFIX[service]}{n:03d}", status),
                )

    def routes(self, ctx: SandboxContext) -> list[web.RouteDef]:
        """The bank's ``/v1`` routes. With demo OTP on, the demo card starts unfrozen."""
        if ctx.settings.demo_otp:
            ctx.store.db.execute(
                "UPDATE cards SET status = 'active', frozen_at = NULL WHERE number = ?",
                (DEMO_CUSTOMER["card"],),
            )

        api = _BankRoutes(ctx)
        return [
            web.post("/v1/verifications", api.start_verification),
            web.post("/v1/verifications/{vid}/verify", ctx.verify),
            web.get("/v1/balance", api.balance),
            web.get("/v1/transactions", api.transactions),
            web.get("/v1/cards/{last4}", api.card),
            web.post("/v1/cards/{last4}/freeze", api.freeze),
            web.post("/v1/queue-tickets", api.queue_ticket),
            web.post("/v1/complaints", api.complaint),
        ]


class _BankRoutes:
    """The bank's request handlers, one method per ``/v1`` route (module docstring), over one
    sandbox's store."""

    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self.db = ctx.store.db

    async def start_verification(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        last4 = str(body.get("card_last4", ""))
        if not _LAST4.match(last4):
            raise ApiError(400, "invalid_card_last4", "card_last4 must be 4 digits")
        row = self.db.execute(
            "SELECT c.id, c.phone, c.is_demo FROM cards k JOIN customers c"
            " ON c.id = k.customer_id WHERE k.last4 = ?",
            (last4,),
        ).fetchone()
        if row is None:
            raise ApiError(404, "card_not_found", "no card with these last digits")
        return self.ctx.send_code(row)

    async def balance(self, request: web.Request) -> web.Response:
        customer = self.ctx.customer(request)
        rows = self.db.execute(
            "SELECT number, kind, balance_cents, currency FROM accounts"
            " WHERE customer_id = ? ORDER BY kind",
            (customer,),
        ).fetchall()
        total = sum(r["balance_cents"] for r in rows)
        accounts = [
            {
                "account_masked": masked(r["number"]),
                "kind": r["kind"],
                "balance": money(r["balance_cents"]),
                "currency": r["currency"],
            }
            for r in rows
        ]
        primary = next((a for a in accounts if a["kind"] == "checking"), accounts[0])
        return web.json_response(
            {
                "accounts": accounts,
                "balance": money(total),
                "currency": "CNY",
                "account_masked": primary["account_masked"],
            }
        )

    async def transactions(self, request: web.Request) -> web.Response:
        customer = self.ctx.customer(request)
        limit = read_limit(request, default=5, most=50)
        rows = self.db.execute(
            "SELECT t.posted_on, t.description, t.amount_cents, a.number, a.currency"
            " FROM transactions t JOIN accounts a ON a.number = t.account_number"
            " WHERE a.customer_id = ? ORDER BY t.posted_on DESC, t.id DESC LIMIT ?",
            (customer, limit),
        ).fetchall()
        return web.json_response(
            {
                "transactions": [
                    {
                        "date": r["posted_on"],
                        "description": r["description"],
                        "amount": money(r["amount_cents"]),
                        "currency": r["currency"],
                        "account_masked": masked(r["number"]),
                    }
                    for r in rows
                ]
            }
        )

    def _last4(self, request: web.Request) -> str:
        """The path's card digits; 400 ``invalid_card_last4`` unless they are 4 digits."""
        last4 = request.match_info["last4"]
        if not _LAST4.match(last4):
            raise ApiError(400, "invalid_card_last4", "card_last4 must be 4 digits")
        return last4

    def _own_card(self, customer: str, last4: str) -> Any:
        """The customer's card row (``number``, ``status``, ``frozen_at``) ending in ``last4``;
        404 ``card_not_found`` when the customer has none (another customer's card included).
        The demo card frozen more than :data:`DEMO_FREEZE_S` ago is active again."""
        query = "SELECT number, status, frozen_at FROM cards WHERE last4 = ? AND customer_id = ?"
        card = self.db.execute(query, (last4, customer)).fetchone()
        if card is None:
            raise ApiError(404, "card_not_found", "no such card for this customer")
        if (
            card["number"] == DEMO_CUSTOMER["card"]
            and card["status"] == "frozen"
            and time.time() - (card["frozen_at"] or 0.0) > DEMO_FREEZE_S
        ):
            self.db.execute(
                "UPDATE cards SET status = 'active', frozen_at = NULL WHERE number = ?",
                (card["number"],),
            )
            card = self.db.execute(query, (last4, customer)).fetchone()
        return card

    async def card(self, request: web.Request) -> web.Response:
        """One of the customer's cards and whether it is frozen: the lost-card flow asks before
        it offers to freeze a card that is frozen already (newcomer13)."""
        customer = self.ctx.customer(request)
        card = self._own_card(customer, self._last4(request))
        return web.json_response({"card_masked": masked(card["number"]), "status": card["status"]})

    async def freeze(self, request: web.Request) -> web.Response:
        customer = self.ctx.customer(request)
        last4 = self._last4(request)

        def effect() -> Stored:
            card = self._own_card(customer, last4)
            if card["status"] == "frozen":
                raise ApiError(409, "already_frozen", "the card is already frozen")
            now = time.time()
            self.db.execute(
                "UPDATE cards SET status = 'frozen', frozen_at = ? WHERE number = ?",
                (now, card["number"]),
            )
            cur = self.db.execute(
                "INSERT INTO card_events (card_number, event, at) VALUES (?, 'freeze', ?)",
                (card["number"], now),
            )
            return Stored(
                200,
                {
                    "card_masked": masked(card["number"]),
                    "status": "frozen",
                    "freeze_id": f"F{cur.lastrowid:06d}",
                    "frozen_at": iso_utc(now),
                },
            )

        return self.ctx.once(request, "freeze_card", {"customer": customer, "last4": last4}, effect)

    async def queue_ticket(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        service = str(body.get("service", ""))
        if service not in QUEUE_PREFIX:
            raise ApiError(400, "invalid_service", "service must be cash, cards or accounts")

        def effect() -> Stored:
            issued, waiting = self.db.execute(
                "SELECT COUNT(*), COALESCE(SUM(status = 'waiting'), 0) FROM queue_tickets"
                " WHERE service = ?",
                (service,),
            ).fetchone()
            number = f"{QUEUE_PREFIX[service]}{issued + 1:03d}"
            now = time.time()
            self.db.execute(
                "INSERT INTO queue_tickets (service, number, status, issued_at)"
                " VALUES (?, ?, 'waiting', ?)",
                (service, number, now),
            )
            return Stored(
                201,
                {
                    "ticket_number": number,
                    "service": service,
                    "waiting": int(waiting),
                    "issued_at": iso_utc(now),
                },
            )

        return self.ctx.once(request, "take_queue_number", {"service": service}, effect)

    async def complaint(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        text = body.get("text")
        if not isinstance(text, str) or not 1 <= len(text.strip()) <= 2000:
            raise ApiError(400, "invalid_text", "text must be 1..2000 characters")

        def effect() -> Stored:
            cid = "K-" + secrets.token_hex(4).upper()
            now = time.time()
            self.db.execute(
                "INSERT INTO complaints VALUES (?, ?, 'open', ?)", (cid, text.strip(), now)
            )
            return Stored(201, {"complaint_id": cid, "status": "open", "received_at": iso_utc(now)})

        return self.ctx.once(request, "create_complaint", {"text": text}, effect)
