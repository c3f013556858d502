"""Every step that calls a business system with the visitor's verification token sends an
expired token back to verification (``on_error: unauthorized``): review18 found the new
filing-years step answering "no filing record" and ending the flow when the token had expired."""

from __future__ import annotations

import pytest

from dialog.pack import DEFAULT_PACKS_DIR, load_pack


@pytest.mark.parametrize("domain", ["bank", "tax"])
def test_a_token_call_handles_an_expired_token(domain: str) -> None:
    pack = load_pack(DEFAULT_PACKS_DIR / domain)
    token_steps = [
        (name, step)
        for name, flow in pack.flows.items()
        for step in flow.steps
        if step.type == "action"
        and any("token" in str(value) for value in (step.spec.get("params") or {}).values())
    ]
    assert token_steps, "no step calls a system with a token: the check would prove nothing"
    missing = [
        f"{name}.{step.id} ({step.spec['action']})"
        for name, step in token_steps
        if "unauthorized" not in (step.spec.get("on_error") or {})
    ]
    assert not missing, f"no on_error.unauthorized: {missing}"
