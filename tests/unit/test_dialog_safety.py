"""Emergencies and a scam in progress are handed to a colleague at once (dialog/safety.py,
newcomer19 F-SAFETY): our own dev lines, written for this rule (never the public benchmark
lines), with near lines that must stay ordinary requests, and one real session per language
(the pack's trained classifier, knowledge base and interpreter)."""

from __future__ import annotations

import pytest

from dialog import DialogEngine
from dialog.safety import classify
from tests.conftest import trained_dialog

EMERGENCY_EN = [
    "I feel dizzy, I think I'm having a heart attack",
    "call an ambulance",
    "help, there is a fire",
    "a man is threatening me with a knife",
    "someone is robbing the bank, call the police",
    "someone collapsed in the hall, call an ambulance",
    "my husband has collapsed, please help",
    "I can't breathe",
    "I have chest pains, get a doctor... no, get an ambulance",
    "there's a fire in the waiting area",
    "the ATM is on fire",
    "I smell smoke, something is burning",
    "a guy with a gun just came in",
    "we are being robbed",
    "he is attacking the cashier",
    "please call 120, my mother fainted",
    "call the police now",
    "this is an emergency, help",
    "I think she's having a stroke",
    "an old lady just fainted by the door",
    "I'm in danger, a man is following me and threatening me with a knife",
    "help! fire!",
]
EMERGENCY_ZH = [
    "我心脏不舒服，快叫救护车",
    "有人抢劫！报警！",
    "有人晕倒了，快叫救护车",
    "救命",
    "着火了",
    "大厅里着火了，快跑",
    "我喘不上气",
    "我胸口好疼，可能是心脏病",
    "有个人拿着刀威胁我",
    "有人持刀闯进来了",
    "快报警，有人打人",
    "帮我叫一下120",
    "我妈昏倒了",
    "那边有人抽搐，快叫医生",
    "门口有人拿枪",
    "有人打劫银行",
    "帮我报警",
    "我头好晕，好像要晕过去了",
    "这里冒烟了",
    "紧急情况，快来人",
    "老人家不省人事了",
]
SCAM_EN = [
    "I'm being scammed, someone on the phone told me to transfer money to a safe account",
    "a caller from the tax bureau says I owe tax and must pay to his account today",
    "the police called and said my account is involved in money laundering, I have to move it",
    "someone from the bank called and asked for my verification code",
    "a man on the phone says he is a police officer and told me to transfer all my savings",
    "they told me to put my money in a safe account until the investigation is over",
    "how do I move my money into the secure account the officer gave me",
    "a policeman on a video call wants me to send my savings to a protected account",
    "I got a text from the tax office asking me to pay the fine into a personal account",
    "someone claiming to be from your bank asked for my PIN",
    "a caller said he was from the court and told me to wire the bail money",
    "I think I'm being defrauded, a man on the phone wants my card number",
    "is this a scam? a caller says I must transfer money to avoid arrest",
    "the tax bureau rang and said I must pay back tax to this account right now",
    "customs called, they said my parcel has drugs and I must pay to a safe account",
    "someone on WeChat says he is from the police and told me to transfer money",
    "a woman phoned claiming to be bank security and asked me to read her the code",
    "a tax official called and asked me to transfer the overdue tax to his account",
    "I need to transfer everything to a safety account, the police said so",
    "the caller says my account will be frozen unless I move the money to a new account",
]
SCAM_ZH = [
    "有人打电话说我涉嫌洗钱，让我把钱转到安全账户",
    "有人冒充税务局打电话让我转账补税",
    "警察打电话说我的账户涉案，要我把钱转过去",
    "一个自称公安的人让我把存款转到安全账户",
    "银行客服打电话问我要验证码",
    "有人说是税务局的，让我把税款打到他的卡上",
    "对方说是检察院的，要求我把钱转到指定账户",
    "我是不是被骗了，电话里的人让我汇款",
    "有人发短信说我欠税，让我转账到个人账户",
    "电话里说我涉嫌洗钱，叫我配合资金清查",
    "有个自称银行的人让我告诉他密码",
    "微信上有人冒充警察让我交保证金",
    "我要把钱转到安全账户，警官说的",
    "对方说我的账户被冻结了，让我把钱转到新账户",
    "有人打电话说我被通缉了，让我转钱",
    "来电说是社保局的，要我的验证码",
    "自称法院的人让我把钱存到监管账户",
    "税务局的人打电话让我今天把税交到他给的账户",
    "有人冒充客服让我转账退款",
    "视频电话里的警察让我把钱汇到他那里",
]
NEAR_EN = [
    "I lost my card in a fire last year, can I get a new one?",
    "where is the fire exit",
    "is there a fire escape on this floor",
    "does my account come with fire insurance",
    "I got fired, can I still keep my account",
    "my card was stolen, do I need to call the police?",
    "my father had a heart attack last year, can I manage his account",
    "how do I transfer money to my savings account",
    "the bank texted me a code",
    "my verification code didn't arrive",
    "I got a call from the bank about my appointment",
    "can I pay my tax by bank transfer",
    "the tax bureau sent me a letter about my refund",
    "is my account safe",
    "how do I keep my account secure",
    "what's the number to block a stolen card",
    "I was robbed years ago and still have no card",
    "how long does a transfer take",
    "my phone was stolen, how do I lock the app",
    "can I report an unrecognised payment",
    "I want to talk to a person",
]
NEAR_ZH = [
    "我的卡去年在火灾里烧了，能补办吗",
    "安全出口在哪里",
    "消防通道在哪",
    "卡被偷了，要报警吗",
    "我上个月被抢了，卡也丢了",
    "银行短信验证码收不到",
    "怎么给自己的储蓄账户转账",
    "我想打电话给银行问转账的事",
    "转账要多久到账",
    "税务局打电话通知我去补税，窗口在哪",
    "我的账户安全吗",
    "怎么修改密码",
    "手机银行怎么转账",
    "我想开一个新账户",
    "个税怎么缴",
    "我要找工作人员",
    "验证码是多少位",
    "之前有人晕倒过吗",
    "医保报销在哪办",
    "我爸以前得过心脏病，能帮他办卡吗",
]


@pytest.mark.parametrize("line", EMERGENCY_EN + EMERGENCY_ZH)
def test_emergency_lines(line: str) -> None:
    assert classify(line) == "emergency"


@pytest.mark.parametrize("line", SCAM_EN + SCAM_ZH)
def test_scam_lines(line: str) -> None:
    assert classify(line) == "scam"


@pytest.mark.parametrize("line", NEAR_EN + NEAR_ZH)
def test_near_lines_are_ordinary(line: str) -> None:
    assert classify(line) is None


def test_dev_sets_are_large_enough() -> None:
    for lines in (EMERGENCY_EN, EMERGENCY_ZH, SCAM_EN, SCAM_ZH, NEAR_EN, NEAR_ZH):
        assert len(lines) >= 20


@pytest.fixture(scope="module")
def bank() -> DialogEngine:
    return trained_dialog("bank")


@pytest.fixture(scope="module")
def tax() -> DialogEngine:
    return trained_dialog("tax")


async def test_bank_en_emergency_at_a_question_hands_over_at_once(bank: DialogEngine) -> None:
    session = bank.new_session("safety-en", language="en")
    first = await session.handle_text("what is my balance")
    assert session.awaited_answer() is not None, first  # the flow waits for the card digits
    turn = await session.handle_text("help, a man is threatening me with a knife")
    assert turn.handoff and turn.intent == "emergency", turn
    assert "110" in turn.reply_text and "?" not in turn.reply_text, turn
    assert turn.replies[0].card == {"kind": "handoff"}
    assert session.awaited_answer() is None  # the flow ended: a colleague takes over
    session.close()


async def test_bank_zh_safe_account_gets_a_warning_not_transfer_steps(bank: DialogEngine) -> None:
    session = bank.new_session("safety-zh", language="zh")
    turn = await session.handle_text("有人打电话说我涉嫌洗钱，让我把钱转到安全账户")
    assert turn.handoff and turn.intent == "scam", turn
    assert "不要转账" in turn.reply_text and "收款人" not in turn.reply_text, turn
    assert not any(r.source for r in turn.replies), turn  # no FAQ cited
    session.close()


async def test_tax_en_caller_asking_for_payment_gets_a_warning(tax: DialogEngine) -> None:
    session = tax.new_session("safety-tax-en", language="en")
    line = "a caller from the tax bureau says I owe tax and must pay to his account today"
    turn = await session.handle_text(line)
    assert turn.handoff and turn.intent == "scam", turn
    assert "never asks" in turn.reply_text and not any(r.source for r in turn.replies), turn
    session.close()


async def test_tax_zh_someone_collapsed_hands_over_even_after_a_colleague_was_called(
    tax: DialogEngine,
) -> None:
    session = tax.new_session("safety-tax-zh", language="zh")
    first = await session.handle_text("转人工")
    assert first.handoff
    turn = await session.handle_text("有人晕倒了，快叫救护车")
    assert turn.handoff and "120" in turn.reply_text, turn
    session.close()


async def test_near_line_keeps_its_answer(bank: DialogEngine) -> None:
    session = bank.new_session("safety-near", language="en")
    turn = await session.handle_text("I lost my card in a fire last year, can I get a new one?")
    assert not turn.handoff and turn.intent == "faq", turn
    assert any(r.source and "card" in r.source.lower() for r in turn.replies), turn
    session.close()


async def test_bank_zh_safe_account_at_the_queue_choice(bank: DialogEngine) -> None:
    # a2d8116: at the queue number's choice 我想把钱转到安全账户 picked the accounts counter
    session = bank.new_session("safety-zh-choice", language="zh")
    first = await session.handle_text("我要取个号")
    assert session.awaited_answer() is not None, first
    turn = await session.handle_text("我想把钱转到安全账户")
    assert turn.handoff and turn.intent == "scam", turn
    assert session.awaited_answer() is None
    session.close()
