"""Bank conversations in English and Chinese, over real HTTP against the sandbox bank.

Each test scripts a visitor and checks what the avatar says and what the bank's database holds.
The balance expected is read from the sandbox's SQLite, never hard-coded. The only fault injected
on purpose (connector unavailable) goes through the sandbox's own fault switch.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.embedded import SandboxCluster
from connectors.router import Router
from dialog import DialogEngine
from dialog.session import DialogSession
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said
from tests.support.sandbox import (
    DEMO_LAST4,
    connector,
    demo_card_balance,
    inproc_logs,
    sandbox,
    sandbox_rows,
    sandbox_write,
)

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module


@pytest.fixture
def engine(connector: Router) -> DialogEngine:
    return trained_dialog("bank").with_connector(connector)


def demo_accounts(cluster: SandboxCluster) -> list[tuple[str, int]]:
    """The demo customer's accounts as stored: ``(number, balance in cents)``, in the bank's
    order (by kind)."""
    rows = sandbox_rows(
        cluster,
        "bank",
        "SELECT a.number, a.balance_cents FROM accounts a JOIN cards k"
        " ON k.customer_id = a.customer_id WHERE k.last4 = ? ORDER BY a.kind",
        DEMO_LAST4,
    )
    return [(str(r[0]), int(r[1])) for r in rows]


async def the_code(session: DialogSession, cluster: SandboxCluster) -> str:
    """The one-time code the bank texted for this session's verification (test-only route)."""
    return cluster.read_otp("bank", session.state.slots["verification_id"])


async def test_balance_in_english_gives_exactly_the_stored_balance(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = engine.new_session("t-bal-en")
    turn = await session.handle_text("Hi, what's my balance?")
    assert turn.intent == "check_balance" and turn.language == "en"
    assert "last four digits" in said(turn)
    turn = await session.handle_text("for four one seven")  # as ASR writes "four"
    assert "ending in 1288" in said(turn) and turn.timings_ms["connector"] is not None
    code = await the_code(session, sandbox)
    spoken = " ".join(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                       "nine"][int(d)] for d in code)  # fmt: skip
    turn = await session.handle_text(spoken)
    expected = demo_card_balance(sandbox)
    assert f"{expected:,.2f} yuan" in said(turn)
    balance_card = next(r.card for r in turn.replies if r.card and r.card["kind"] == "balance")
    assert Decimal(balance_card["total"]["amount"].replace(",", "")) == expected
    # each account with its own balance, as stored, in the card and in the spoken reply
    stored = demo_accounts(sandbox)
    assert len(stored) == 2 and len(balance_card["accounts"]) == 2
    for row, (number, cents) in zip(balance_card["accounts"], stored, strict=True):
        amount = Decimal(cents) / 100
        assert row["account"] == f"•••• {number[-4:]}" and row["amount"] == f"{amount:,.2f}"
        assert f"ending {number[-4:]}, {amount:,.2f} yuan" in said(turn)
    assert turn.replies[-1].emotion == "happy"
    assert turn.timings_ms["connector"] > 0 and turn.timings_ms["dialog"] > 0
    session.close()


async def test_balance_in_chinese(engine: DialogEngine, sandbox: SandboxCluster) -> None:
    session = engine.new_session("t-bal-zh")
    turn = await session.handle_text("我想查一下卡里的余额")
    assert turn.language == "zh" and "后四位" in said(turn)
    turn = await session.handle_text("四四一七")
    assert "后四位是1288" in said(turn)
    code = await the_code(session, sandbox)
    digits_zh = "".join("零一二三四五六七八九"[int(d)] for d in code)
    turn = await session.handle_text(digits_zh)
    assert f"{demo_card_balance(sandbox):,.2f}元" in said(turn)


async def test_balance_never_revealed_without_verification(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = engine.new_session("t-noverify")
    balance = f"{demo_card_balance(sandbox):,.2f}"
    texts = ["what's my balance", "just tell me the balance", "how much money do I have", "4417"]
    replies = [said(await session.handle_text(t)) for t in texts]
    assert all(balance not in r and balance.replace(",", "") not in r for r in replies)
    assert "check_balance" in [e.detail for e in session.audit if e.kind == "intent"]
    assert not any(e.detail.startswith("bank.get_balance") for e in session.audit)


async def test_wrong_code_is_refused_then_right_code_works(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = engine.new_session("t-wrong")
    await session.handle_text("check my balance")
    await session.handle_text("4417")
    right = await the_code(session, sandbox)
    wrong = "000000" if right != "000000" else "111111"
    turn = await session.handle_text(wrong)
    assert "isn't right" in said(turn) and turn.replies[0].emotion == "apologetic"
    assert f"{demo_card_balance(sandbox):,.2f}" not in said(turn)
    turn = await session.handle_text(right)
    assert f"{demo_card_balance(sandbox):,.2f} yuan" in said(turn)
    assert ("call", "bank.verify_otp -> unauthorized") in [
        (e.kind, e.detail) for e in session.audit
    ]


async def test_three_wrong_codes_lock_verification_for_the_session(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = engine.new_session("t-lock")
    await session.handle_text("what's my balance")
    await session.handle_text("4417")
    right = await the_code(session, sandbox)
    wrong = "000000" if right != "000000" else "111111"
    await session.handle_text(wrong)
    await session.handle_text(wrong)
    turn = await session.handle_text(wrong)
    assert "locked" in said(turn) and turn.handoff
    turn = await session.handle_text("what's my balance")  # still locked in this session
    # the colleague called a turn ago is on the way: not called again (newcomer13)
    assert "locked" in said(turn) and "colleague is on the way" in said(turn)
    assert not turn.handoff
    assert f"{demo_card_balance(sandbox):,.2f}" not in said(turn)


async def test_unknown_card_is_asked_again(engine: DialogEngine) -> None:
    session = engine.new_session("t-unknown")
    await session.handle_text("balance please")
    turn = await session.handle_text("9 9 9 8")
    assert "couldn't find a card" in said(turn) and "last four digits" in said(turn)


async def test_digression_faq_then_resume(engine: DialogEngine, sandbox: SandboxCluster) -> None:
    session = engine.new_session("t-digress")
    await session.handle_text("I want to check my balance")
    await session.handle_text("4417")
    turn = await session.handle_text("by the way, what are your opening hours on saturday?")
    texts = [r.text for r in turn.replies]
    assert "9 am to 12 noon" in texts[0]
    assert turn.replies[0].source == "faq.en.md § Opening hours"
    assert "six-digit code" in texts[-1]  # the flow resumes where it was
    turn = await session.handle_text(await the_code(session, sandbox))
    assert f"{demo_card_balance(sandbox):,.2f} yuan" in said(turn)


async def test_lost_card_freezes_only_after_explicit_confirmation(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    sandbox_write(
        sandbox,
        "bank",
        "UPDATE cards SET status='active', frozen_at=NULL WHERE last4=?",
        DEMO_LAST4,
    )
    status = "SELECT status FROM cards WHERE last4 = ?"
    try:
        session = engine.new_session("t-lost")
        turn = await session.handle_text("我的银行卡丢了")
        assert turn.intent == "report_lost_card" and turn.replies[0].emotion == "concerned"
        await session.handle_text("4417")
        turn = await session.handle_text(await the_code(session, sandbox))
        assert "暂停使用卡号后四位是4417" in said(turn)
        assert sandbox_rows(sandbox, "bank", status, DEMO_LAST4)[0][0] == "active"
        turn = await session.handle_text("嗯……我想想")  # neither yes nor no: asked again
        assert sandbox_rows(sandbox, "bank", status, DEMO_LAST4)[0][0] == "active"
        turn = await session.handle_text("对，冻结吧")
        assert "已经暂停使用" in said(turn)
        assert sandbox_rows(sandbox, "bank", status, DEMO_LAST4)[0][0] == "frozen"
        # again: the card is checked first and said to be frozen, with no freeze offered
        turn = await session.handle_text("我的卡丢了")
        assert "之前已经暂停使用" in said(turn) and "吗" not in said(turn), said(turn)
        # no promise of a freeze "at once" before the check, and the next step (newcomer15)
        assert "马上" not in said(turn) and "补办新卡" in said(turn), said(turn)
        assert not session.state.stack  # the flow ended: nothing is left to answer
    finally:
        sandbox_write(
            sandbox,
            "bank",
            "UPDATE cards SET status='active', frozen_at=NULL WHERE last4=?",
            DEMO_LAST4,
        )


async def test_digit_homophones_answer_only_the_digits_question(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    # 似是一起 is what Whisper made of 四四一七: read as digits at the card question, but not
    # from the words that start the flow (a cue word's digits prefill it; homophones do not)
    session = engine.new_session("t-homophones")
    turn = await session.handle_text("我的卡丢了，尾号是似是一起", "zh")
    assert turn.intent == "report_lost_card" and "银行卡号的后四位" in said(turn)
    assert turn.timings_ms["connector"] is None  # no card was looked up
    assert session.awaited_answer() == "digits" and session.state.slots["card_last4"] is None
    turn = await session.handle_text("似是一起", "zh")  # at the card question
    assert "短信，里面有六位数字" in said(turn) and turn.timings_ms["connector"] is not None
    assert session.state.slots["card_last4"] == DEMO_LAST4
    await the_code(session, sandbox)  # the sandbox texted a code for the demo card


async def test_lost_card_declined_does_not_freeze(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = engine.new_session("t-decline")
    await session.handle_text("I lost my card")
    await session.handle_text("4417")
    await session.handle_text(await the_code(session, sandbox))
    turn = await session.handle_text("no")
    assert "haven't frozen" in said(turn)
    rows = sandbox_rows(sandbox, "bank", "SELECT status FROM cards WHERE last4 = ?", DEMO_LAST4)
    assert rows[0][0] == "active"


async def test_a_question_about_others_at_the_freeze_question_cancels_nothing(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    """newcomer12: 别 in 别人 ("others") read as a no: 怎么给别人转账 at the freeze question
    cancelled the freeze, and 快冻结，别让别人用了 ("freeze it, don't let others use it") did
    not freeze. The question is answered and the yes/no asked again; then the yes freezes."""
    reset = "UPDATE cards SET status='active', frozen_at=NULL WHERE last4=?"
    status = "SELECT status FROM cards WHERE last4 = ?"
    sandbox_write(sandbox, "bank", reset, DEMO_LAST4)
    try:
        session = engine.new_session("t-lost-others")
        await session.handle_text("我的卡丢了")
        await session.handle_text("4417")
        await session.handle_text(await the_code(session, sandbox))
        turn = await session.handle_text("怎么给别人转账")
        assert "没有把这张卡暂停使用" not in said(turn)  # not "I have not frozen the card"
        assert "4417的银行卡吗" in turn.replies[-1].text  # answered, then asked again
        assert session.awaited_answer() == "yes_no"
        turn = await session.handle_text("快冻结，别让别人用了")
        assert "已经暂停使用" in said(turn)
        assert sandbox_rows(sandbox, "bank", status, DEMO_LAST4)[0][0] == "frozen"
    finally:
        sandbox_write(sandbox, "bank", reset, DEMO_LAST4)


async def test_transactions_read_and_shown(engine: DialogEngine, sandbox: SandboxCluster) -> None:
    session = engine.new_session("t-tx")
    await session.handle_text("show me my recent transactions")
    await session.handle_text("4417")
    turn = await session.handle_text(await the_code(session, sandbox))
    newest = sandbox_rows(
        sandbox,
        "bank",
        "SELECT t.description FROM transactions t JOIN accounts a ON a.number = t.account_number"
        " JOIN cards k ON k.customer_id = a.customer_id WHERE k.last4 = ?"
        " ORDER BY t.posted_on DESC, t.id DESC LIMIT 1",
        DEMO_LAST4,
    )[0][0]
    assert newest in said(turn)
    card = next(r.card for r in turn.replies if r.card and r.card["kind"] == "transactions")
    assert len(card["rows"]) == 5 and card["rows"][0]["description"] == newest


async def test_connector_unavailable_is_an_apology(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = engine.new_session("t-down")
    await session.handle_text("what's my balance")
    sandbox.set_faults("bank", {"error_rate": 1.0})  # fault injected on purpose
    turn = await session.handle_text("4417")
    assert "not available right now" in said(turn)
    assert turn.replies[-1].emotion == "apologetic"
    assert not session.state.stack  # the flow ended; the visitor can start again


async def test_cancel_and_human_work_mid_flow(engine: DialogEngine) -> None:
    session = engine.new_session("t-cancel")
    await session.handle_text("what's my balance")
    turn = await session.handle_text("cancel")
    assert "cancelled" in said(turn) and not session.state.stack
    await session.handle_text("查余额")
    turn = await session.handle_text("转人工")
    assert turn.handoff and "工作人员" in said(turn) and turn.language == "zh"


async def test_close_wipes_the_session(engine: DialogEngine, sandbox: SandboxCluster) -> None:
    session = engine.new_session("t-close")
    await session.handle_text("balance")
    await session.handle_text("4417")
    await session.handle_text(await the_code(session, sandbox))
    assert session.state.slots["bank_token"]
    session.close()
    with pytest.raises(RuntimeError):
        _ = session.state
    assert session.audit == ()


async def test_transactions_in_chinese(engine: DialogEngine, sandbox: SandboxCluster) -> None:
    session = engine.new_session("t-tx-zh")
    turn = await session.handle_text("帮我查一下最近的交易明细")
    assert turn.intent == "list_transactions" and turn.language == "zh"
    await session.handle_text("四四一七")
    turn = await session.handle_text(await the_code(session, sandbox))
    rows = sandbox_rows(
        sandbox,
        "bank",
        "SELECT t.amount_cents FROM transactions t JOIN accounts a ON a.number = t.account_number"
        " JOIN cards k ON k.customer_id = a.customer_id WHERE k.last4 = ?"
        " ORDER BY t.posted_on DESC, t.id DESC LIMIT 1",
        DEMO_LAST4,
    )
    newest = Decimal(rows[0][0]) / 100
    assert "最近的交易" in said(turn) and f"{newest:.2f}元" in said(turn)
