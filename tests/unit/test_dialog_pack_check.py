"""The pack validator: the shipped packs are clean; broken packs name FILE:LINE and the YAML path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dialog.cli import main as dialog_cli
from dialog.pack import DEFAULT_PACKS_DIR, PackError, load_pack
from dialog.pack_check import check_pack

PACKS = sorted(p.name for p in DEFAULT_PACKS_DIR.iterdir() if (p / "flows.yaml").exists())


@pytest.mark.parametrize("domain", PACKS)
def test_shipped_packs_have_no_problems(domain: str) -> None:
    pack, problems = check_pack(DEFAULT_PACKS_DIR / domain)
    assert [str(p) for p in problems] == []
    assert pack is not None and set(pack.languages) == {"en", "zh"}
    for flow in pack.flows.values():
        assert flow.description.strip()


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    root = tmp_path / "bank"
    shutil.copytree(DEFAULT_PACKS_DIR / "bank", root)
    return root


def _edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (once) and return the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def test_problems_name_file_line_and_path(broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flows = broken / "flows.yaml"
    line_next = _edit(flows, "next: verified", "next: no_such_step")
    line_say = _edit(flows, "say: utter_balance", "say: utter_nowhere")
    line_cond = _edit(flows, "if: slots.otp_failures >= 3", "if: slots.otp_failures >=")
    line_type = _edit(
        flows, "      - say: utter_code_sent", "      - say: utter_code_sent\n        link: x"
    )
    # The inserted line shifts everything after it by one.
    line_next, line_say, line_cond = (n + (n > line_type) for n in (line_next, line_say, line_cond))
    responses = broken / "responses.yaml"
    line_emotion = _edit(responses, "emotion: concerned", "emotion: furious") + 0
    _, problems = check_pack(broken)
    got = {(p.file, p.line) for p in problems}
    assert ("bank/flows.yaml", line_next) in got
    assert ("bank/flows.yaml", line_say) in got
    assert ("bank/flows.yaml", line_type) in got
    assert ("bank/flows.yaml", line_cond) in got
    assert ("bank/responses.yaml", line_emotion) in got
    messages = "\n".join(str(p) for p in problems)
    assert "flows.verify_bank.steps[5]: no step 'no_such_step' in flow verify_bank" in messages
    assert "unknown response 'utter_nowhere'" in messages
    assert "needs exactly one step type" in messages
    assert "syntax error" in messages and "'furious'" in messages
    with pytest.raises(PackError):
        load_pack(broken)
    # The CLI prints one FILE:LINE: message per problem and exits 1.
    assert dialog_cli(["pack", "check", str(broken)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == len(problems)
    assert f"bank/flows.yaml:{line_next}: " in out[0] or any(f":{line_next}: " in o for o in out)


def test_yaml_syntax_error_and_missing_file(broken: Path) -> None:
    (broken / "intents.yaml").write_text("intents:\n  greet: [unclosed\n", encoding="utf-8")
    (broken / "responses.yaml").unlink()
    _, problems = check_pack(broken)
    rendered = sorted(str(p) for p in problems)
    assert any(r.startswith("bank/intents.yaml:") and "YAML syntax" in r for r in rendered)
    assert "bank/responses.yaml: file missing" in rendered  # a missing file has no line


def test_unsafe_expressions_are_refused(broken: Path) -> None:
    line = _edit(
        broken / "flows.yaml", "if: not slots.bank_token", "if: __import__('os').system('true')"
    )
    _, problems = check_pack(broken)
    assert any(
        (p.line == line and "not allowed" in p.message) or "only len" in p.message for p in problems
    )


def test_clean_pack_cli_exit_zero() -> None:
    assert dialog_cli(["pack", "check", str(DEFAULT_PACKS_DIR / "bank")]) == 0


def test_unknown_domain_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_pack(tmp_path / "nope")


def test_unknown_operation_and_unknown_param_slot_are_named(broken: Path) -> None:
    flows = broken / "flows.yaml"
    op_line = _edit(flows, "action: bank.get_balance", "action: bank.no_such_op")
    param_line = _edit(flows, '"{bank_token}", limit: 5', '"{no_such_slot}", limit: 5')
    _, problems = check_pack(broken)
    text = [str(p) for p in problems]
    assert any(
        f"flows.yaml:{op_line}:" in t and "no connector declares 'bank.no_such_op'" in t
        for t in text
    ), text
    assert any(
        f"flows.yaml:{param_line}:" in t and "{no_such_slot} names no declared slot" in t
        for t in text
    ), text


def test_knowledge_base_authoring_mistakes_are_named(broken: Path) -> None:
    kb = broken / "kb" / "faq.en.md"
    # An unclosed comment swallows what follows, up to the next comment's end, which is then
    # spoken; the other mistakes drop content silently.
    unclosed = _edit(kb, "<!-- q: car park parking space where can I park -->", "<!-- q: car park")
    empty = _edit(kb, "## Accessibility\n", "## Accessibility\n<!-- questions: | -->\n") + 1
    repeated = _edit(kb, "## Closing an account", "## Opening hours")
    _, problems = check_pack(broken)
    found = {(p.file, p.line, p.message) for p in problems}
    assert ("bank/kb/faq.en.md", unclosed, "comment '<!--' is not closed with '-->'") in found
    assert ("bank/kb/faq.en.md", empty, "empty 'questions:' list") in found
    assert any(f[1] == repeated and "repeats line" in f[2] for f in found), found


def test_a_collect_steps_help_is_checked(broken: Path) -> None:
    """``help`` at a question (the code question's "I didn't get the code"): an unknown response
    and words that are not lists per language are named, with the step's line."""
    flows = broken / "flows.yaml"
    utter_line = _edit(flows, "utter: utter_otp_help", "utter: utter_no_such_help")
    _, problems = check_pack(broken)
    assert any(
        p.line == utter_line and "help.utter: unknown response" in p.message for p in problems
    ), [str(p) for p in problems]
    _edit(flows, "utter: utter_no_such_help", "utter: utter_otp_help")
    _edit(flows, "en: [code, text, sms,", "en: code\n            xx: [code, text, sms,")
    _, problems = check_pack(broken)
    assert any("help: needs utter and words" in p.message for p in problems), [
        str(p) for p in problems
    ]


def test_a_help_steps_lacking_words_are_checked(broken: Path) -> None:
    """``help.lacking`` (the card question's "I don't know", 没带: help words that only say the
    visitor lacks something): a misspelt key, a language the pack does not speak and words that
    are not a list are each named with the key's line and YAML path."""
    flows = broken / "flows.yaml"
    path = "flows.verify_bank.steps[1].help"
    key_line = _edit(flows, "          lacking:\n", "          lackng:\n")
    _, problems = check_pack(broken)
    found = {(p.line, p.message) for p in problems}
    assert (key_line, f"{path}.lackng: unknown key (one of: utter, words, lacking)") in found
    _edit(flows, "          lackng:\n", "          lacking:\n")
    zh_line = _edit(flows, "            zh: [不知道, 没带,", "            fr: [不知道, 没带,")
    _, problems = check_pack(broken)
    message = f"{path}.lacking.fr: not one of the pack's languages (en, zh)"
    assert (zh_line, message) in {(p.line, p.message) for p in problems}, problems
    _edit(flows, "            fr: [不知道, 没带,", "            zh: 不知道\n            xx: [没带,")
    _, problems = check_pack(broken)
    assert any(
        p.line == key_line and p.message.startswith(f"{path}.lacking: must be {{LANG: [word")
        for p in problems
    ), [str(p) for p in problems]


def test_an_out_of_scope_answer_names_a_real_heading(broken: Path) -> None:
    intents = broken / "intents.yaml"
    _edit(intents, "answer: Making a transfer", "answer: Making a transfr")
    line = _edit(intents, "  out_of_scope_money_movement:", "  out_of_scope_money_movement:")
    _, problems = check_pack(broken)
    message = (
        "intents.out_of_scope_money_movement.answer: no knowledge-base heading 'Making a transfr'"
    )
    assert ("bank/intents.yaml", line, message) in {(p.file, p.line, p.message) for p in problems}


def test_a_knowledge_base_short_of_a_language_or_a_section_is_named(broken: Path) -> None:
    """newcomer18: ``faq.zh.md`` one section short, or missing, passed the check (the files are
    read as parallel only when each language has as many sections)."""
    zh = broken / "kb" / "faq.zh.md"
    text = zh.read_text(encoding="utf-8")
    last = text.rindex("\n## ")
    zh.write_text(text[:last] + "\n", encoding="utf-8")
    _, problems = check_pack(broken)
    short = [p for p in problems if "sections per language differ" in p.message]
    assert len(short) == 1 and short[0].file == "bank/kb", problems
    assert "faq.en.md" in short[0].message and "faq.zh.md" in short[0].message
    zh.unlink()
    _, problems = check_pack(broken)
    assert [p.message for p in problems] == [
        "no knowledge-base file in 'zh', a language of domain.yaml"
    ]
