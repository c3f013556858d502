"""The text chat loop shared by ``dhe chat`` and ``dhe converse --text``, and ``dhe chat`` itself
as a process reading stdin (its own embedded sandboxes, demo one-time code)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.router import Router
from dialog.chat import run_chat
from tests.conftest import trained_dialog
from tests.support.sandbox import connector, inproc_logs, sandbox

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module

REPO = Path(__file__).resolve().parents[2]


async def test_run_chat_yields_each_turn_until_goodbye(connector: Router) -> None:
    engine = trained_dialog("bank").with_connector(connector)
    lines = [
        "hello\n",
        "\n",
        "what are your opening hours\n",
        "营业时间\n",
        "bye\n",
        "never reached\n",
    ]
    turns = [(text, turn) async for text, turn in run_chat(lines, engine, "chat-1", "auto")]
    assert [t for t, _ in turns] == ["hello", "", "what are your opening hours", "营业时间", "bye"]
    _, greet = turns[0]
    assert greet.intent == "greet" and greet.replies[0].gesture == "wave"
    assert turns[1][1].replies[0].text.startswith("Sorry, I didn't catch that")  # blank line
    assert turns[2][1].replies[0].source == "faq.en.md § Opening hours"
    assert turns[3][1].language == "zh" and turns[3][1].replies[0].source == "faq.zh.md § 营业时间"
    assert turns[4][1].ended  # goodbye ends the loop


async def test_broken_unicode_and_repeated_punctuation_are_read(connector: Router) -> None:
    engine = trained_dialog("bank").with_connector(connector)
    lines = ["\ud800 where can I park???\n", "\udcff\udcfe\n", "opening hours!!!\n"]
    turns = [t async for _, t in run_chat(lines, engine, "chat-3", "en")]
    assert turns[0].replies[0].source == "faq.en.md § Parking"
    assert turns[1].replies  # replacement characters only: answered, not a crash
    assert turns[2].replies[0].source == "faq.en.md § Opening hours"


async def test_run_chat_fixed_language(connector: Router) -> None:
    engine = trained_dialog("bank").with_connector(connector)
    turns = [t async for _, t in run_chat(["what's my balance"], engine, "chat-2", "zh")]
    assert turns[0].language == "zh" and "后四位" in turns[0].replies[0].text


def _dhe_chat(tmp_path: Path, script: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """``dhe chat FLAGS`` as a process fed ``script``, without the caller's DHE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DHE_")}
    var_dir = ("--var-dir", str(tmp_path))
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "chat", *flags, *var_dir],
        input=script,
        capture_output=True,
        text=True,
        errors="surrogateescape",  # a script may hold bytes that are not UTF-8
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_dhe_chat_process_reads_stdin_to_the_end(tmp_path: Path) -> None:
    script = "hello\nwhat's my balance\nfor four one seven\none two three four five six\nbye\n"
    proc = _dhe_chat(tmp_path, script, "--domain", "bank", "--demo")
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout.splitlines()
    assert out[0].startswith("Hello, welcome to Harbour Bank")
    assert any("ending in 1288" in line for line in out)
    assert (
        "Your balances: checking account ending 5671, 12,345.67 yuan; savings account ending 5689,"
        " 50,000.00 yuan. In total, across these accounts: 62,345.67 yuan." in out
    )  # documented demo data
    assert out[-1].startswith("Thank you for visiting")
    # logs on stderr, the code masked (checked as a value: timestamps carry 6-digit microseconds)
    assert '"123456"' not in proc.stderr and "=123456" not in proc.stderr
    assert "connector_call" in proc.stderr


def test_dhe_chat_why_names_intent_and_cited_section(tmp_path: Path) -> None:
    lines = (
        "what's my balance\n4417\ncancel\n取消\nis there somewhere to park my car\ntell me a joke\n"
    )
    proc = _dhe_chat(tmp_path, lines, "--why")
    assert proc.returncode == 0, proc.stderr[-2000:]
    # the two progress lines while it starts, then exactly one stderr line per input line: slot
    # answers named as such, commands included
    progress = proc.stderr.splitlines()[:2]
    assert progress[0] == "starting: sandboxes, models …", progress
    assert progress[1].startswith("ready in ") and progress[1].endswith(" s"), progress
    assert proc.stderr.splitlines()[2:] == [
        "  [check_balance]",
        "  [slot: card_last4]",
        "  [cancel]",
        "  [cancel]",
        "  [faq · faq.en.md § Parking]",
        "  [out_of_scope]",
    ]
    assert "free customer parking" in proc.stdout and "[" not in proc.stdout


def test_dhe_chat_skips_an_overlong_or_non_utf8_line_and_goes_on(tmp_path: Path) -> None:
    script = "x" * 501 + "\n\udcff\udcfe\nis there parking\n"  # line 2: bytes ff fe
    proc = _dhe_chat(tmp_path, script, "--lang", "en")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "dhe chat: line 1: longer than 500 characters, not read" in proc.stderr
    assert "dhe chat: line 2: not valid UTF-8, not read" in proc.stderr
    assert proc.stdout.splitlines()[0].startswith("There is free customer parking")
