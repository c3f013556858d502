"""Score intent recognition (DESIGN.md, "Contracts": ``benchmarks/nlu_eval.py``).

With no arguments it scores each pack's own labelled test set (``assets/domains/*/eval/test.csv``,
kept apart from the training examples). With ``--data FILE.csv`` (columns ``text,intent``, public
labels) it scores that file alone against the bank pack, mapping labels to pack intents through
``assets/domains/bank/eval/label_map.yaml``; unmapped labels and ``oos`` are out of scope. The
public lines are only scored, never trained on.

English rows are read as the engine reads them: with the configured sentence encoder
(``dialog.embedding_model``, default ``minilm-l6-v2``); ``--no-embeddings`` scores character
n-grams and BM25 alone, for comparison.

It scores what the avatar acts on (:meth:`dialog.understanding.Understanding.label`): a FAQ
question the knowledge base cannot answer counts as answered out of scope. Per language present
(a row is ``zh`` when it holds CJK characters) it prints::

    <lang> intent accuracy: 0.953        (correct intents over in-scope rows)
    <lang> out-of-scope recall: 0.912    (out-of-scope rows answered as out of scope)
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from dialog.nlu import OUT_OF_SCOPE  # noqa: E402
from dialog.pack import DEFAULT_PACKS_DIR, load_pack  # noqa: E402
from dialog.understanding import Understanding  # noqa: E402
from engine.config import load_config  # noqa: E402
from engine.embeddings import sentence_encoder  # noqa: E402

_CJK = re.compile(r"[\u3400-\u9fff]")


def row_language(text: str) -> str:
    """``zh`` when ``text`` holds CJK characters, else ``en``."""
    return "zh" if _CJK.search(text) else "en"


def read_rows(path: Path) -> list[tuple[str, str]]:
    """``(text, label)`` rows of a ``text,intent`` CSV file."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [(r["text"], r["intent"]) for r in csv.DictReader(fh)]


def load_label_map(path: Path) -> dict[str, str]:
    """Public label → pack intent (``labels:`` mapping of the YAML file)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in (doc.get("labels") or {}).items()}


def score(
    understanding: Understanding, rows: list[tuple[str, str]]
) -> tuple[dict[str, tuple[float, float, int, int]], list[tuple[str, str, str]]]:
    """Score ``rows`` whose labels are pack intents or ``out_of_scope``.

    Returns:
        ``({lang: (accuracy, oos_recall, n_in_scope, n_oos)}, errors)`` where ``errors`` lists
        ``(text, expected, got)``; a metric with no rows is ``nan``.
    """
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # ok_in, n_in, ok_oos, n_oos
    errors = []
    for text, expected in rows:
        lang = row_language(text)
        got = understanding.label(*understanding.read(text, lang))
        c = counts[lang]
        if expected == OUT_OF_SCOPE:
            c[3] += 1
            c[2] += got == OUT_OF_SCOPE
        else:
            c[1] += 1
            c[0] += got == expected
        if got != expected:
            errors.append((text, expected, got))
    result = {}
    for lang, (ok_in, n_in, ok_oos, n_oos) in sorted(counts.items()):
        acc = ok_in / n_in if n_in else float("nan")
        rec = ok_oos / n_oos if n_oos else float("nan")
        result[lang] = (acc, rec, n_in, n_oos)
    return result, errors


def _print(result: dict[str, tuple[float, float, int, int]]) -> None:
    for lang, (acc, rec, _, _) in result.items():
        print(f"{lang} intent accuracy: {acc:.3f}")
        print(f"{lang} out-of-scope recall: {rec:.3f}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="public CSV (text,intent) to score alone")
    parser.add_argument("--packs-dir", type=Path, default=DEFAULT_PACKS_DIR)
    parser.add_argument("--errors", action="store_true", help="list misread rows on stderr")
    parser.add_argument(
        "--no-embeddings", action="store_true", help="n-grams and BM25 only (no sentence encoder)"
    )
    args = parser.parse_args(argv)
    encoder = None if args.no_embeddings else sentence_encoder(load_config().dialog.embedding_model)
    used = "off" if encoder is None else f"on ({encoder.fingerprint})"
    print(f"nlu_eval: sentence encoder {used}", file=sys.stderr)
    if args.data is not None:
        if not args.data.is_file():
            print(f"nlu_eval: no such file: {args.data}", file=sys.stderr)
            return 2
        pack = load_pack(args.packs_dir / "bank")
        mapping = load_label_map(args.packs_dir / "bank" / "eval" / "label_map.yaml")
        rows = [(t, mapping.get(label, OUT_OF_SCOPE)) for t, label in read_rows(args.data)]
        suites = [(pack, rows)]
    else:
        suites = []
        for test in sorted(args.packs_dir.glob("*/eval/test.csv")):
            suites.append((load_pack(test.parent.parent), read_rows(test)))
    for pack, rows in suites:
        if args.data is None:
            print(f"# {pack.name} ({len(rows)} rows)")
        result, errors = score(Understanding.from_pack(pack, encoder), rows)
        _print(result)
        if args.errors:
            for text, expected, got in errors:
                print(f"  {expected:>18} <- {got:<18} {text}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
