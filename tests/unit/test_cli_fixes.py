"""`dhe` CLI corners: unknown model names, `dhe demo`'s own error label, and `dhe config check`
on ``dialog.embedding_model``, unknown domain packs (nothing here loads a model or starts a
sandbox)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import models
from engine.cli import main


def _err_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]


@pytest.mark.parametrize("argv", [["models", "--list", "nope"], ["models", "nope"]])
def test_models_unknown_name_is_one_usage_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("dhe models: error: unknown model or set 'nope'")
    for name in models.load_manifest():
        assert name in lines[0]


def test_models_list_with_names_lists_only_those(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--list", "minilm-l6-v2", "zh"]) == 0
    names = [ln.split()[0] for ln in capsys.readouterr().out.splitlines()]
    assert names == ["minilm-l6-v2", "whisper-base", "kokoro-82m"]  # zh: ASR and voice
    assert main(["models", "--list"]) == 0
    names = [ln.split()[0] for ln in capsys.readouterr().out.splitlines()]
    assert names == list(models.load_manifest())


def test_demo_errors_are_labelled_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    assert main(["demo", "--out", str(tmp_path / "d.mp4"), "--config", str(missing)]) == 2
    lines = _err_lines(capsys)
    assert lines == [f"dhe demo: error: --config {missing}: cannot read: No such file or directory"]
    assert not any("dhe converse" in ln for ln in lines)

    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["demo", "--out", str(blocker / "sub" / "d.mp4")]) == 2
    lines = _err_lines(capsys)
    assert lines == [lines[0]] and lines[0].startswith("dhe demo: error: --out "), lines


def _check(
    tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str], key: str = "embedding_model"
) -> tuple[int, str]:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f'dialog:\n  {key}: "{value}"\n', encoding="utf-8")
    code = main(["config", "check", str(cfg)])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("value", ["no-such-model", "whisper-tiny.en", "./no/such/folder"])
def test_config_check_refuses_an_unknown_embedding_model(
    tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.delenv("DHE_DIALOG__EMBEDDING_MODEL", raising=False)
    code, out = _check(tmp_path, value, capsys)
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{tmp_path / 'c.yaml'}: dialog.embedding_model: ")
    assert value in lines[0]


def test_config_check_refuses_an_unknown_rerank_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.delenv("DHE_DIALOG__RERANK_MODEL", raising=False)
    code, out = _check(tmp_path, "no-such-model", capsys, key="rerank_model")
    assert code == 1
    assert out.splitlines() == [
        f"{tmp_path / 'c.yaml'}: dialog.rerank_model: 'no-such-model' is neither a folder nor "
        "a `dhe models` embedding model (known: multilingual-e5-small, minilm-l6-v2; or 'off')"
    ]
    assert _check(tmp_path, "off", capsys, key="rerank_model")[0] == 0


@pytest.mark.parametrize("value", ["minilm-l6-v2", "off", "none", "OFF", ""])
def test_config_check_accepts_known_models_and_off(
    tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.delenv("DHE_DIALOG__EMBEDDING_MODEL", raising=False)
    code, out = _check(tmp_path, value, capsys)
    assert (code, out.strip()) == (0, f"{tmp_path / 'c.yaml'}: ok")


def test_config_check_accepts_a_folder_and_names_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.delenv("DHE_DIALOG__EMBEDDING_MODEL", raising=False)
    folder = tmp_path / "encoder"
    folder.mkdir()
    assert _check(tmp_path, str(folder), capsys)[0] == 0
    monkeypatch.setenv("DHE_DIALOG__EMBEDDING_MODEL", "bogus")
    code, out = _check(tmp_path, "off", capsys)
    assert code == 1
    assert "DHE_DIALOG__EMBEDDING_MODEL (environment): 'bogus'" in out


def test_resolve_spec_is_shared_with_the_loader() -> None:
    from engine.embeddings import resolve_spec

    assert resolve_spec("off") is None
    assert resolve_spec("minilm-l6-v2") == "minilm-l6-v2"
    with pytest.raises(Exception, match="known: multilingual-e5-small, minilm-l6-v2"):
        resolve_spec("nope")


def test_config_check_reports_the_embedding_model_with_other_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.delenv("DHE_DIALOG__EMBEDDING_MODEL", raising=False)
    monkeypatch.delenv("DHE_SERVER__PORT", raising=False)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("dialog:\n  embedding_model: nope\nserver:\n  port: -5\n", encoding="utf-8")
    assert main(["config", "check", str(cfg)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split(": ")[1] for ln in lines] == ["server.port", "dialog.embedding_model"], lines


def test_an_unknown_flag_is_named_before_a_missing_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as bogus:
        main(["--bogus"])
    assert bogus.value.code == 2
    assert _err_lines(capsys) == ["dhe: error: unrecognized arguments: --bogus"]
    with pytest.raises(SystemExit):
        main([])
    assert _err_lines(capsys) == ["dhe: error: the following arguments are required: command"]
    with pytest.raises(SystemExit) as bogus:  # before a missing required option, too
        main(["converse", "--bogusflag"])
    assert bogus.value.code == 2
    assert _err_lines(capsys) == ["dhe converse: error: unrecognized arguments: --bogusflag"]
    with pytest.raises(SystemExit):
        main(["converse", "--text", "hi"])
    assert _err_lines(capsys) == [
        "dhe converse: error: the following arguments are required: --out"
    ]
    with pytest.raises(SystemExit) as bogus:  # and before a missing positional
        main(["config", "check", "--zz"])
    assert bogus.value.code == 2
    assert _err_lines(capsys) == ["dhe config check: error: unrecognized arguments: --zz"]
    with pytest.raises(SystemExit):  # the subcommand's name, at any depth
        main(["connectors", "list", "extra"])
    assert _err_lines(capsys) == ["dhe connectors list: error: unrecognized arguments: extra"]
    with pytest.raises(SystemExit) as missing:
        main(["config", "check"])
    assert missing.value.code == 2
    assert _err_lines(capsys) == [
        "dhe config check: error: the following arguments are required: file"
    ]


def test_pack_check_of_a_missing_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"
    assert main(["pack", "check", str(missing)]) == 2
    assert _err_lines(capsys) == [f"dhe pack check: error: {missing}: no such folder"]


def test_pack_check_names_files_by_the_path_as_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pack", "check", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{tmp_path}/domain.yaml: file missing"  # was "NAME/domain.yaml:1: …"
    assert len(out) == 4 and all(line.endswith(".yaml: file missing") for line in out)


def test_avatar_preview_unknown_gesture_lists_the_six_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The list held the aliases too, so ``point_to_screen`` showed three times."""
    assert main(["avatar", "preview", "--gesture", "dance", "--out", "x.png"]) == 2
    assert _err_lines(capsys) == [
        "dhe avatar preview: error: --gesture dance: unknown "
        "(known: nod, shake, tilt, point_to_screen, greet, bow)"
    ]


@pytest.mark.parametrize(
    ("size", "says"),
    [("10x99999", "out of range: width and height must be in 64-2048"), ("65x64", "even")],
)
def test_avatar_preview_size_errors_say_what_is_wrong(size: str, says: str) -> None:
    from engine.avatar_preview import UsageError, parse_size

    with pytest.raises(UsageError, match=says):
        parse_size(size)


@pytest.mark.parametrize("domain", ["foo/bar", "../../etc", ".", "casino"])
def test_converse_unknown_domain_is_one_line_listing_the_packs(
    domain: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["converse", "--domain", domain, "--text", "hi", "--out", str(tmp_path / "x.mp4")]
    assert main(argv) == 2
    assert _err_lines(capsys) == [
        f"dhe converse: error: --domain {domain}: no such domain pack (known: bank, tax)"
    ]


async def test_server_unknown_domain_names_the_packs_not_a_path() -> None:
    from engine.config import EngineConfig
    from engine.server.protocol import ApiError
    from engine.server.runtime import Runtime

    runtime = Runtime(EngineConfig())  # never started: the pack is refused before any model
    try:
        for domain in ("casino", ".."):
            with pytest.raises(ApiError) as err:
                await runtime.dialog_engine(domain)
            assert (err.value.status, err.value.code) == (400, "unknown-domain")
            assert err.value.message == f"domain {domain!r}: no such domain pack (known: bank, tax)"
    finally:
        await runtime.close()


def test_listen_failures_say_why_the_host_cannot_be_used() -> None:
    """``dhe serve --host 999.1.1.1`` said "unknown error -2" (a resolver code read as errno)."""
    import socket

    from connectors.listen import listen_failure

    with pytest.raises(OSError) as unresolved:  # the resolver's error, without asking DNS
        socket.getaddrinfo("999.1.1.1", 8181, flags=socket.AI_NUMERICHOST)
    message = listen_failure("999.1.1.1", 8181, unresolved.value)
    assert message.startswith("cannot listen on 999.1.1.1:8181: the host '999.1.1.1' cannot be")
    assert "unknown error" not in message
    with socket.socket() as sock, pytest.raises(OSError) as foreign:
        sock.bind(("192.0.2.1", 0))  # TEST-NET-1 (RFC 5737): never this machine's
    assert listen_failure("192.0.2.1", 8181, foreign.value) == (
        "cannot listen on 192.0.2.1:8181: 192.0.2.1 is not an address of this machine"
    )


def test_the_state_folder_is_the_projects_var_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from another directory, ``dhe connectors call`` and ``dhe sandbox`` made ``./var/``
    there (engine.db, sandbox-*.db, logs/); the README's state folder is the project's ``var/``."""
    import argparse

    from connectors.cli import add_commands
    from connectors.config import ConnectorsConfig
    from connectors.paths import default_var_dir
    from engine.paths import REPO_ROOT, var_dir

    monkeypatch.delenv("DHE_VAR_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_var_dir() == var_dir() == ConnectorsConfig().var_dir == REPO_ROOT / "var"
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    args = parser.parse_args(["connectors", "call", "bank.get_balance"])
    assert args.var_dir is None  # resolved to default_var_dir() when the call runs
    monkeypatch.setenv("DHE_VAR_DIR", str(tmp_path / "state"))
    assert ConnectorsConfig().var_dir == var_dir() == tmp_path / "state"
    assert not (tmp_path / "var").exists()


def test_ctrl_c_exits_130_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C is injected on purpose (a fake ``converse`` raising KeyboardInterrupt) and so is one
    in a command that does not catch it itself (``models --list``)."""
    import engine.converse

    def ctrl_c(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(engine.converse, "converse", ctrl_c)
    assert main(["converse", "--text", "hi", "--out", str(tmp_path / "c.mp4")]) == 130
    assert _err_lines(capsys) == ["dhe converse: interrupted"]
    monkeypatch.setattr(models, "load_manifest", ctrl_c)
    assert main(["models", "--list"]) == 130
    assert _err_lines(capsys) == ["dhe models: interrupted"]


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["bogus.op"], "not_found"),
        (["bank.get_balance"], "invalid_input"),  # token missing
        (["bank.start_verification", "=x"], "invalid_input"),
    ],
)
def test_connectors_call_bad_usage_exits_2_before_any_sandbox(
    argv: list[str], code: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    var_dir = tmp_path / "var"
    assert main(["connectors", "call", *argv, "--var-dir", str(var_dir)]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == code
    assert not var_dir.exists()  # nothing started


def test_an_unknown_config_domain_is_caught_by_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("dialog:\n  domain: insurance\n", encoding="utf-8")
    problem = "dialog.domain: 'insurance': no such domain pack (known: bank, tax)"
    assert main(["config", "check", str(cfg)]) == 1
    assert capsys.readouterr().out.splitlines() == [f"{cfg}: {problem}"]
    out = str(tmp_path / "x.mp4")
    for argv in (["serve"], ["converse", "--text", "hi", "--out", out], ["chat"]):
        assert main([*argv, "--config", str(cfg)]) == 2  # at once, before anything starts
        name = argv[0]
        assert _err_lines(capsys) == [f"dhe {name}: error: --config {cfg}: {problem}"]


@pytest.mark.parametrize("fps", ["0", "-5", "nan", "inf", "1e9"])
def test_perceive_fps_out_of_range_is_one_usage_line(
    fps: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--fps 0`` was a ZeroDivisionError traceback; -5, nan and 1e9 were taken."""
    assert main(["perceive", "no-such.mp4", f"--fps={fps}"]) == 2
    (line,) = _err_lines(capsys)
    assert line == f"dhe perceive: error: --fps {float(fps):g}: must be > 0 and at most 60"


@pytest.mark.parametrize("timeout_ms", ["-5", "0", "nan", "1e12"])
def test_connectors_call_timeout_out_of_range_is_bad_usage(
    timeout_ms: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--timeout-ms -5`` started the sandboxes and failed with a timeout (exit 1)."""
    var_dir = tmp_path / "var"
    argv = ["connectors", "call", "bank.start_verification", "card_last4=4417"]
    assert main([*argv, f"--timeout-ms={timeout_ms}", "--var-dir", str(var_dir)]) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["code"] == "invalid_input" and error["message"].startswith("--timeout-ms ")
    assert not var_dir.exists()  # nothing started


def test_help_names_every_model_set_and_the_real_config_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``dhe models --help`` left out ``en-minilm``; ``--config`` said "embedded template"
    where the code reads ``assets/config/default.yaml``."""
    from engine.config import DEFAULT_CONFIG_PATH
    from engine.paths import REPO_ROOT

    with pytest.raises(SystemExit):
        main(["models", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    sets = {s for spec in models.load_manifest().values() for s in spec.sets}
    assert all(name in text for name in [*sets, "all"]), (sets, text)
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"default: {DEFAULT_CONFIG_PATH.relative_to(REPO_ROOT)}" in text, text


def test_connectors_call_refuses_a_key_given_twice(capsys: pytest.CaptureFixture[str]) -> None:
    """``card_last4=4417 card_last4=1111`` used the last value silently; refused before any
    system starts (no sandbox is launched: the arguments are read first)."""
    op = "bank.start_verification"
    assert main(["connectors", "call", op, "card_last4=4417", "card_last4=1111"]) == 2
    assert json.loads(capsys.readouterr().out) == {
        "error": {"code": "invalid_input", "message": "card_last4 given twice"}
    }
    assert main(["connectors", "call", op, "card_last4"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["message"] == "arguments must be key=value"


def test_avatar_preview_on_json_that_is_no_gltf_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON string or list as --model leaked "'str' object has no attribute 'items'"."""
    model = tmp_path / "sdp.json"
    model.write_text('"v=0 o=- 0 0 IN IP4 127.0.0.1"\n', encoding="utf-8")
    assert main(["avatar", "preview", "--model", str(model), "--out", str(tmp_path / "x.png")]) == 2
    (line,) = _err_lines(capsys)
    assert line.endswith("JSON, but not a glTF 2.0 document (no 'asset' object at its top)"), line
    assert "attribute" not in line


def test_verbose_after_the_command_counts_as_before_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """newcomer18: ``dhe converse … -v`` was refused as an unrecognized argument."""
    import logging

    try:
        assert main(["connectors", "list", "-v"]) == 0
        assert logging.getLogger().level == logging.INFO
        assert main(["connectors", "list", "-vv"]) == 0
        assert logging.getLogger().level == logging.DEBUG
        with pytest.raises(SystemExit):  # any other flag there is still named
            main(["connectors", "list", "-v", "-x"])
        assert _err_lines(capsys)[-1] == "dhe connectors list: error: unrecognized arguments: -x"
    finally:
        from engine.logs import configure_logging

        configure_logging(0)
