"""The sans-IO core of HTTP connectors: the shipped declarations load, arguments become requests,
HTTP answers become typed fields or typed errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.base import (
    BadResponse,
    Conflict,
    ConnectorUnavailable,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from connectors.config import DEFAULT_DECLARATIONS_DIR
from connectors.declaration import DeclarationError, load_declaration, load_declarations
from connectors.http_mapping import args_model, build_request, parse_response, validate_args

REQUIRED = {
    "bank.get_balance",
    "bank.verify_otp",
    "bank.freeze_card",
    "tax.list_slots",
    "tax.book_appointment",
    "tax.create_ticket",
}


@pytest.fixture(scope="module")
def decls():
    return {d.system: d for d in load_declarations(DEFAULT_DECLARATIONS_DIR)}


def test_shipped_declarations_cover_the_issue(decls) -> None:
    names = {f"{s}.{op}" for s, d in decls.items() for op in d.operations}
    assert names >= REQUIRED
    assert decls["bank"].operations["freeze_card"].retry_safe  # it sends an idempotency key
    assert not decls["bank"].operations["start_verification"].retry_safe
    assert decls["tax"].operations["list_slots"].retry_safe


def test_arguments_become_a_request(decls) -> None:
    op = decls["bank"].operations["freeze_card"]
    model = args_model("bank.freeze_card", op)
    args = validate_args("bank.freeze_card", op, model, {"token": "t_1", "card_last4": "4417"})
    req = build_request(op, args, "key-1")
    assert (req.method, req.path) == ("POST", "/v1/cards/4417/freeze")
    assert req.headers == {"X-Customer-Token": "t_1", "Idempotency-Key": "key-1"}
    assert req.json_body == {}
    op = decls["tax"].operations["list_slots"]
    args = validate_args("tax.list_slots", op, args_model("t", op), {"date": "2025-06-02"})
    req = build_request(op, args, None)
    assert req.query == {"date": "2025-06-02", "limit": "20"} and req.json_body is None


def test_invalid_arguments_are_named_not_echoed(decls) -> None:
    op = decls["bank"].operations["verify_otp"]
    model = args_model("bank.verify_otp", op)
    with pytest.raises(InvalidInput) as info:
        validate_args("bank.verify_otp", op, model, {"verification_id": "v_1", "code": "12ab56"})
    assert "code" in info.value.message and "12ab56" not in info.value.message
    op = decls["tax"].operations["create_ticket"]
    with pytest.raises(InvalidInput):
        validate_args("t", op, args_model("t", op), {"kind": "rant", "text": "x"})


@pytest.mark.parametrize(
    ("status", "error", "reason"),
    [
        (400, InvalidInput, "invalid_limit"),
        (401, Unauthorized, "not_verified"),
        (403, Unauthorized, "otp_locked"),
        (404, NotFound, "card_not_found"),
        (409, Conflict, "slot_taken"),
        (429, ConnectorUnavailable, "busy"),
        (503, ConnectorUnavailable, "down"),
        (418, BadResponse, "teapot"),
    ],
)
def test_status_maps_to_typed_error(decls, status, error, reason) -> None:
    body = json.dumps({"error": {"code": reason, "message": "card 6217991000024417"}}).encode()
    with pytest.raises(error) as info:
        parse_response("bank.get_balance", decls["bank"].operations["get_balance"], status, body)
    assert info.value.reason == reason
    assert "6217991000024417" not in info.value.message  # backend text is masked


def test_response_fields_are_picked_and_typed(decls) -> None:
    op = decls["bank"].operations["get_balance"]
    body = {
        "balance": "62345.67",
        "currency": "CNY",
        "account_masked": "****5671",
        "accounts": [
            {
                "account_masked": "****5671",
                "kind": "checking",
                "balance": 12345.67,
                "currency": "CNY",
                "x": 1,
            }
        ],
        "internal": "dropped",
    }
    data = parse_response("bank.get_balance", op, 200, json.dumps(body).encode())
    assert data == {
        "balance": "62345.67",
        "currency": "CNY",
        "account_masked": "****5671",
        "accounts": [
            {
                "account_masked": "****5671",
                "kind": "checking",
                "balance": "12345.67",
                "currency": "CNY",
            }
        ],
    }


def test_bad_bodies_are_bad_response(decls) -> None:
    op = decls["bank"].operations["get_balance"]
    with pytest.raises(BadResponse):
        parse_response("bank.get_balance", op, 200, b'{"balance": [1, 2')
    with pytest.raises(BadResponse):
        parse_response("bank.get_balance", op, 200, b'{"balance": "lots", "currency": "CNY"}')
    with pytest.raises(BadResponse):
        parse_response("bank.get_balance", op, 200, b'{"currency": "CNY"}')


def test_invalid_declaration_names_the_path(tmp_path: Path) -> None:
    bad = tmp_path / "x.yaml"
    bad.write_text("system: x\nbase_url: http://h\noperations:\n  op:\n    path: /a/{id}\n")
    with pytest.raises(DeclarationError) as info:
        load_declaration(bad)
    text = " ".join(info.value.problems)
    assert "operations.op.description" in text
