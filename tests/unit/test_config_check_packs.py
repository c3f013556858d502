"""``dhe config check`` and the packs a config names (newcomer14): a pack with broken YAML
passed the check (``ok``, exit 0) and ``dhe serve`` found it only after its minutes of model
warm-up; a ``dialog.packs_dir`` that does not exist was blamed on the domain ("no such domain
pack (known: none)")."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dialog.pack import DEFAULT_PACKS_DIR
from engine.cli import main
from engine.config import load_config
from engine.config_check import check_references


def _config(tmp_path: Path, packs_dir: Path, domain: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(f"dialog: {{packs_dir: '{packs_dir}', domain: {domain}}}\n", encoding="utf-8")
    return path


def test_a_pack_with_broken_yaml_fails_the_check_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packs = tmp_path / "packs"
    shutil.copytree(DEFAULT_PACKS_DIR / "bank", packs / "brokebank")
    flows = packs / "brokebank" / "flows.yaml"
    line = len(flows.read_text(encoding="utf-8").splitlines()) + 1
    with flows.open("a", encoding="utf-8") as f:
        f.write("foo: [unclosed\n  bar: 1\n")
    config = _config(tmp_path, packs, "brokebank")
    assert main(["config", "check", str(config)]) == 1
    out = capsys.readouterr().out
    assert f"dialog.domain: pack 'brokebank': brokebank/flows.yaml:{line + 1}: YAML syntax" in out
    # what dhe serve checks before any model loads (Runtime.start)
    assert any("flows.yaml" in p for p in check_references(load_config(config)))


def test_the_shipped_pack_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, DEFAULT_PACKS_DIR, "tax")
    assert main(["config", "check", str(config)]) == 0
    assert capsys.readouterr().out.strip().endswith(": ok")


def test_a_missing_packs_dir_is_named_not_the_domain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, tmp_path / "nodir", "bank")
    assert main(["config", "check", str(config)]) == 1
    out = capsys.readouterr().out
    assert f"dialog.packs_dir: {tmp_path / 'nodir'} does not exist" in out
    assert "no such domain pack" not in out
