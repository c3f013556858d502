"""Contract tests of every bank operation, through the declared HTTP connector, over real HTTP
against the running sandbox bank (SQLite, fictional data)."""

from __future__ import annotations

import time
from datetime import date, timedelta

import httpx
import pytest

from connectors.base import Conflict, InvalidInput, NotFound, Unauthorized
from connectors.router import Router
from connectors.sandbox.bank import DEMO_CUSTOMER, DEMO_FREEZE_S
from tests.support.sandbox import connector, inproc_logs, sandbox, sandbox_rows, sandbox_write
from tests.support.sandbox import verified_token as support_verified_token

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module

DEMO_LAST4 = "4417"


async def verified_token(connector: Router, sandbox, last4: str = DEMO_LAST4) -> str:
    """A bank token for the card ending in ``last4`` (the demo card by default)."""
    return await support_verified_token(connector, sandbox, "bank", last4)


async def test_start_verification_masks_phone_on_file(connector: Router) -> None:
    result = await connector.call("bank.start_verification", {"card_last4": DEMO_LAST4})
    assert result.operation == "bank.start_verification"
    assert result.data["phone_masked"].endswith("1288")
    assert set(result.data["phone_masked"][:-4]) == {"*"}
    assert result.data["verification_id"].startswith("v_")
    assert result.data["expires_in_s"] == 300


async def test_unknown_card_is_not_found(connector: Router) -> None:
    with pytest.raises(NotFound) as info:
        await connector.call("bank.start_verification", {"card_last4": "0000"})
    assert info.value.reason == "card_not_found"


async def test_malformed_card_digits_rejected_locally(connector: Router) -> None:
    with pytest.raises(InvalidInput) as info:
        await connector.call("bank.start_verification", {"card_last4": "44a7"})
    assert "card_last4" in info.value.message
    with pytest.raises(InvalidInput):
        await connector.call("bank.start_verification", {"card_last4": "4417", "extra": 1})


async def test_wrong_code_then_lockout(connector: Router, sandbox) -> None:
    start = await connector.call("bank.start_verification", {"card_last4": DEMO_LAST4})
    vid = start.data["verification_id"]
    right = sandbox.read_otp("bank", vid)
    wrong = "000000" if right != "000000" else "111111"
    reasons = []
    for _ in range(3):
        with pytest.raises(Unauthorized) as info:
            await connector.call("bank.verify_otp", {"verification_id": vid, "code": wrong})
        reasons.append(info.value.reason)
    assert reasons == ["otp_wrong", "otp_wrong", "otp_locked"]
    with pytest.raises(Unauthorized) as info:  # locked: even the right code fails now
        await connector.call("bank.verify_otp", {"verification_id": vid, "code": right})
    assert info.value.reason == "otp_locked"


async def test_code_is_single_use(connector: Router, sandbox) -> None:
    start = await connector.call("bank.start_verification", {"card_last4": DEMO_LAST4})
    vid = start.data["verification_id"]
    code = sandbox.read_otp("bank", vid)
    ok = await connector.call("bank.verify_otp", {"verification_id": vid, "code": code})
    assert ok.data["token"].startswith("t_") and ok.data["expires_in_s"] == 300
    with pytest.raises(Unauthorized) as info:
        await connector.call("bank.verify_otp", {"verification_id": vid, "code": code})
    assert info.value.reason == "otp_used"


async def test_balance_of_demo_customer(connector: Router, sandbox) -> None:
    token = await verified_token(connector, sandbox)
    result = await connector.call("bank.get_balance", {"token": token})
    assert result.data["currency"] == "CNY"
    assert result.data["balance"] == "62345.67"
    by_kind = {a["kind"]: a for a in result.data["accounts"]}
    assert by_kind["checking"]["balance"] == "12345.67"
    assert by_kind["savings"]["balance"] == "50000.00"
    assert result.data["account_masked"] == "************5671"


async def test_balance_needs_verification(connector: Router) -> None:
    with pytest.raises(Unauthorized) as info:
        await connector.call("bank.get_balance", {"token": "t_forged"})
    assert info.value.reason == "not_verified"
    with pytest.raises(InvalidInput):  # no token at all: caught before any request
        await connector.call("bank.get_balance", {})


async def test_transactions_newest_first_and_limited(connector: Router, sandbox) -> None:
    token = await verified_token(connector, sandbox)
    result = await connector.call("bank.list_transactions", {"token": token, "limit": "3"})
    txs = result.data["transactions"]
    posted = sandbox_rows(
        sandbox,
        "bank",
        "SELECT posted_on FROM transactions WHERE account_number = ?"
        " ORDER BY posted_on DESC LIMIT 3",
        DEMO_CUSTOMER["checking"],
    )
    assert [t["date"] for t in txs] == [r[0] for r in posted]
    # dated from the seed day (fixed March 2025 dates read as long past): yesterday's coffee
    assert date.fromisoformat(txs[0]["date"]) >= date.today() - timedelta(days=2)
    assert [t["amount"] for t in txs] == ["-32.00", "-188.20", "-326.50"]
    with pytest.raises(InvalidInput):
        await connector.call("bank.list_transactions", {"token": token, "limit": 500})


async def test_freeze_card_then_conflict(connector: Router, sandbox) -> None:
    card = sandbox_rows(
        sandbox, "bank", "SELECT last4, number FROM cards WHERE customer_id='C0003'"
    )[0]
    sandbox_write(sandbox, "bank", "UPDATE cards SET status='active' WHERE last4=?", card["last4"])
    token = await verified_token(connector, sandbox, card["last4"])
    args = {"token": token, "card_last4": card["last4"]}
    assert (await connector.call("bank.get_card", args)).data["status"] == "active"
    result = await connector.call("bank.freeze_card", args, idempotency_key="k-1")
    assert result.data["status"] == "frozen"
    assert result.data["card_masked"].endswith(card["last4"])
    status = sandbox_rows(
        sandbox, "bank", "SELECT status FROM cards WHERE number=?", card["number"]
    )
    assert status[0]["status"] == "frozen"
    assert (await connector.call("bank.get_card", args)).data["status"] == "frozen"
    with pytest.raises(Exception) as info:  # a new request (new key) on a frozen card
        await connector.call(
            "bank.freeze_card", {"token": token, "card_last4": card["last4"]}, idempotency_key="k-2"
        )
    assert info.value.code == "conflict" and info.value.reason == "already_frozen"


async def test_the_demo_card_unfreezes_itself_after_a_visit(connector: Router, sandbox) -> None:
    """The README's lost-card demo froze card 4417 for every later visitor (newcomer15)."""
    token = await verified_token(connector, sandbox)
    args = {"token": token, "card_last4": DEMO_LAST4}
    sandbox_write(sandbox, "bank", "UPDATE cards SET status='active' WHERE last4=?", DEMO_LAST4)
    await connector.call("bank.freeze_card", args, idempotency_key="demo-1")
    assert (await connector.call("bank.get_card", args)).data["status"] == "frozen"  # same visit
    old = time.time() - DEMO_FREEZE_S - 1
    sandbox_write(sandbox, "bank", "UPDATE cards SET frozen_at=? WHERE last4=?", old, DEMO_LAST4)
    assert (await connector.call("bank.get_card", args)).data["status"] == "active"
    # only the demo card: another customer's frozen card stays frozen however old
    other = sandbox_rows(sandbox, "bank", "SELECT last4 FROM cards WHERE customer_id='C0003'")[0]
    sandbox_write(
        sandbox,
        "bank",
        "UPDATE cards SET status='frozen', frozen_at=? WHERE last4=?",
        old,
        other["last4"],
    )
    token = await verified_token(connector, sandbox, other["last4"])
    frozen = {"token": token, "card_last4": other["last4"]}
    assert (await connector.call("bank.get_card", frozen)).data["status"] == "frozen"
    sandbox_write(sandbox, "bank", "UPDATE cards SET status='active' WHERE last4=?", other["last4"])


async def test_cannot_freeze_someone_elses_card(connector: Router, sandbox) -> None:
    token = await verified_token(connector, sandbox)  # demo customer
    other = sandbox_rows(sandbox, "bank", "SELECT last4 FROM cards WHERE customer_id='C0002'")[0]
    with pytest.raises(NotFound):
        await connector.call("bank.freeze_card", {"token": token, "card_last4": other["last4"]})
    with pytest.raises(NotFound):  # nor read its status
        await connector.call("bank.get_card", {"token": token, "card_last4": other["last4"]})


def queue_counts(sandbox, service: str) -> tuple[int, int]:
    """(tickets issued, tickets still waiting) for a counter service, read from the database."""
    row = sandbox_rows(
        sandbox,
        "bank",
        "SELECT COUNT(*), COALESCE(SUM(status = 'waiting'), 0) FROM queue_tickets WHERE service=?",
        service,
    )[0]
    return int(row[0]), int(row[1])


async def test_queue_ticket_is_numbered_per_service_and_taken_once_per_key(
    connector: Router, sandbox
) -> None:
    issued, waiting = queue_counts(sandbox, "cards")
    first = await connector.call(
        "bank.take_queue_number", {"service": "cards"}, idempotency_key="q-cards-1"
    )
    assert first.data["ticket_number"] == f"B{issued + 1:03d}"
    assert first.data["service"] == "cards" and first.data["waiting"] == waiting
    again = await connector.call(  # a retry with the same key: the same ticket, none added
        "bank.take_queue_number", {"service": "cards"}, idempotency_key="q-cards-1"
    )
    assert again.data == first.data
    assert queue_counts(sandbox, "cards") == (issued + 1, waiting + 1)
    second = await connector.call(
        "bank.take_queue_number", {"service": "cards"}, idempotency_key="q-cards-2"
    )
    assert second.data["ticket_number"] == f"B{issued + 2:03d}"
    assert second.data["waiting"] == waiting + 1
    cash = await connector.call(
        "bank.take_queue_number", {"service": "cash"}, idempotency_key="q-cash-1"
    )
    assert cash.data["ticket_number"].startswith("A")


async def test_queue_ticket_rejects_unknown_service_and_key_reuse(
    connector: Router, sandbox
) -> None:
    with pytest.raises(InvalidInput):  # caught by the declaration before any request
        await connector.call("bank.take_queue_number", {"service": "loans"}, idempotency_key="q-x")
    await connector.call("bank.take_queue_number", {"service": "cash"}, idempotency_key="q-r")
    with pytest.raises(Conflict) as info:
        await connector.call(
            "bank.take_queue_number", {"service": "accounts"}, idempotency_key="q-r"
        )
    assert info.value.reason == "idempotency_key_reuse"
    url, key = sandbox.urls["bank"], sandbox.api_keys["bank"]
    no_key = httpx.post(f"{url}/v1/queue-tickets", json={"service": "cash"},
                        headers={"X-API-Key": key})  # fmt: skip
    assert no_key.status_code == 400
    assert no_key.json()["error"]["code"] == "idempotency_key_required"
    bad = httpx.post(
        f"{url}/v1/queue-tickets",
        json={"service": "loans"},
        headers={"X-API-Key": key, "Idempotency-Key": "q-bad"},
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_service"


async def test_complaint_is_stored_once_per_key_in_the_visitors_words(
    connector: Router, sandbox
) -> None:
    text = "The fee on my card was never explained to me."
    first = await connector.call("bank.create_complaint", {"text": text}, idempotency_key="k-1")
    again = await connector.call("bank.create_complaint", {"text": text}, idempotency_key="k-1")
    assert again.data["complaint_id"] == first.data["complaint_id"]
    assert first.data["complaint_id"].startswith("K-") and first.data["status"] == "open"
    rows = sandbox_rows(sandbox, "bank", "SELECT text, status FROM complaints WHERE id = ?",
                        first.data["complaint_id"])  # fmt: skip
    assert [tuple(r) for r in rows] == [(text, "open")]
    with pytest.raises(InvalidInput):  # caught by the declaration before any request
        await connector.call("bank.create_complaint", {"text": ""}, idempotency_key="k-2")
    url, key = sandbox.urls["bank"], sandbox.api_keys["bank"]
    blank = httpx.post(f"{url}/v1/complaints", json={"text": "   "},
                       headers={"X-API-Key": key, "Idempotency-Key": "k-3"})  # fmt: skip
    assert blank.status_code == 400 and blank.json()["error"]["code"] == "invalid_text"


def test_client_auth_and_test_routes_are_guarded(sandbox) -> None:
    url = sandbox.urls["bank"]
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok", "system": "bank"}
    no_key = httpx.get(f"{url}/v1/balance")
    assert no_key.status_code == 401
    assert no_key.json()["error"]["code"] == "unauthenticated"
    wrong = httpx.get(f"{url}/v1/balance", headers={"X-API-Key": "nope"})
    assert wrong.status_code == 401
    hidden = httpx.get(f"{url}/_test/otp/v_x", headers={"X-Test-Key": "nope"})
    assert hidden.status_code == 404
    # requests are logged, health probes (every second) are not
    log_text = sandbox.log_path("bank").read_text()
    assert '"path": "/v1/balance"' in log_text and "/healthz" not in log_text


def test_oauth2_client_credentials(sandbox) -> None:
    url = sandbox.urls["bank"]
    form = {"grant_type": "client_credentials", "client_id": "dhe-engine"}
    bad = httpx.post(f"{url}/oauth/token", data=form | {"client_secret": "nope"})
    assert bad.status_code == 401
    good = httpx.post(f"{url}/oauth/token", data=form | {"client_secret": sandbox.api_keys["bank"]})
    token = good.json()["access_token"]
    resp = httpx.post(
        f"{url}/v1/verifications",
        json={"card_last4": DEMO_LAST4},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 201
