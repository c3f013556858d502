"""scripts/setup.sh's "packs embedded" stamp (``pack_key``): keyed on the step's inputs only.

newcomer12 #6: the key hashed every ``*.npz`` in the cache folder, so the prepared replies that
the NEXT step writes there (``prepared-*.npz``) changed it and the next ``make …`` re-read every
pack (31 s + 11 s under load). The shipped function is cut out of the script and run by bash.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT


def _pack_key(cache_dir: Path) -> str:
    """Run setup.sh's own ``pack_key`` (the function's text, not a copy) with ``cache_dir``."""
    script = (REPO_ROOT / "scripts" / "setup.sh").read_text()
    match = re.search(r"^pack_key\(\) \{\n.*?^\}\n", script, re.S | re.M)
    assert match, "pack_key() not found in scripts/setup.sh"
    proc = subprocess.run(
        ["bash", "-c", f'cache_dir="$1"\n{match.group(0)}pack_key', "bash", str(cache_dir)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    key = proc.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{16}", key), proc.stdout + proc.stderr
    return key


def test_prepared_replies_written_after_the_stamp_do_not_change_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "embeddings-59684007144d0f05.npz").write_bytes(b"\x00" * 100)
    before = _pack_key(cache)
    (cache / "prepared-en-378d280fbb2b3faa.npz").write_bytes(b"\x01" * 5000)  # step 5's output
    (cache / "prepared-zh-f7071b40bf6a650a.npz").write_bytes(b"\x02" * 7000)
    assert _pack_key(cache) == before


def test_the_embedding_cache_itself_still_changes_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    emb = cache / "embeddings-59684007144d0f05.npz"
    emb.write_bytes(b"\x00" * 100)
    before = _pack_key(cache)
    emb.write_bytes(b"\x00" * 101)  # rewritten (another size)
    rewritten = _pack_key(cache)
    assert rewritten != before
    emb.unlink()  # deleted: the step must run again
    assert _pack_key(cache) not in (before, rewritten)
