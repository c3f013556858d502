"""NLU: commands by rule, language detection, the classifier (character n-grams, plus sentence
embeddings for English, as the engine runs it) on the packs' own labelled test sets (kept apart
from the training examples), and the public banking lines."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest
import yaml

from dialog.embedding import SentenceEncoder
from dialog.nlu import detect_language, match_command
from dialog.pack import DEFAULT_PACKS_DIR, load_pack
from dialog.understanding import Understanding
from tests.conftest import model_folder

REPO = Path(__file__).resolve().parents[2]
PACKS = ("bank", "tax")


def _nlu_eval():
    spec = importlib.util.spec_from_file_location("nlu_eval", REPO / "benchmarks" / "nlu_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def understandings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Understanding]:
    encoder = SentenceEncoder.load(
        model_folder("minilm-l6-v2"), cache_dir=tmp_path_factory.mktemp("embeddings")
    )
    return {d: Understanding.from_pack(load_pack(DEFAULT_PACKS_DIR / d), encoder) for d in PACKS}


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("cancel", "cancel"),
        ("never mind", "cancel"),
        ("算了", "cancel"),
        ("start over", "restart"),
        ("重新开始", "restart"),
        ("say that again", "repeat"),
        ("再说一遍", "repeat"),
        ("speak slower please", "slower"),
        ("说慢一点", "slower"),
        ("human please", "human"),
        ("I want to talk to a real person", "human"),
        ("转人工", "human"),
        ("cancel my appointment", None),  # an intent, not the command
        ("are you a real person?", None),
        ("你是真人吗", None),
        ("what's my balance", None),
    ],
)
def test_commands_by_rule(text: str, command: str | None) -> None:
    assert match_command(text) == command


def test_language_detection() -> None:
    assert detect_language("what's my balance") == "en"
    assert detect_language("查余额") == "zh"
    assert detect_language("我的card丢了") == "zh"
    assert detect_language("4417", default="zh") == "zh"  # digits say nothing
    assert detect_language("4417") == "en"


@pytest.mark.parametrize("domain", PACKS)
def test_test_set_is_kept_apart_from_training(domain: str) -> None:
    intents = yaml.safe_load((DEFAULT_PACKS_DIR / domain / "intents.yaml").read_text("utf-8"))
    train = {
        str(x).strip().lower()
        for i in intents["intents"].values()
        for xs in i["examples"].values()
        for x in xs
    }
    with (DEFAULT_PACKS_DIR / domain / "eval" / "test.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    langs = [detect_language(r["text"]) for r in rows]
    assert langs.count("en") >= 150 and langs.count("zh") >= 150
    assert [r["text"] for r in rows if r["text"].strip().lower() in train] == []
    pack = load_pack(DEFAULT_PACKS_DIR / domain)
    assert {r["intent"] for r in rows} <= set(pack.intents)


@pytest.mark.slow
@pytest.mark.parametrize("domain", PACKS)
def test_own_test_sets_meet_the_goals(
    domain: str, understandings: dict[str, Understanding]
) -> None:
    nlu_eval = _nlu_eval()
    rows = nlu_eval.read_rows(DEFAULT_PACKS_DIR / domain / "eval" / "test.csv")
    result, _ = nlu_eval.score(understandings[domain], rows)
    for lang in ("en", "zh"):
        accuracy, oos_recall, n_in, n_oos = result[lang]
        assert n_in >= 130 and n_oos >= 15
        # Measured: bank en 0.988 zh 0.988, tax en 0.964 zh 0.970; out-of-scope recall 1.0.
        # The goal is 0.95 / 0.90; the floor leaves room for noise from new examples.
        assert accuracy >= 0.93, (domain, lang, accuracy)
        assert oos_recall >= 0.90, (domain, lang, oos_recall)


@pytest.mark.needs_data
@pytest.mark.parametrize(
    ("name", "floor_accuracy", "floor_oos"),
    # Measured with sentence embeddings 0.781 / 0.643 and 0.827 / 0.867 (n-grams alone: 0.638 /
    # 0.659 and 0.709 / 0.848). The goal (0.90 / 0.85) is not met on BANKING77 yet:
    # these floors guard against regressions.
    [("banking77_test_sample.csv", 0.74, 0.60), ("clinc150_banking_subset_sample.csv", 0.79, 0.83)],
)
def test_public_banking_lines_mapped_by_label_map(
    shared_data: Path,
    understandings: dict[str, Understanding],
    name: str,
    floor_accuracy: float,
    floor_oos: float,
) -> None:
    nlu_eval = _nlu_eval()
    mapping = nlu_eval.load_label_map(DEFAULT_PACKS_DIR / "bank" / "eval" / "label_map.yaml")
    assert set(mapping.values()) <= set(understandings["bank"].pack.intents)
    rows = [
        (t, mapping.get(label, "out_of_scope"))
        for t, label in nlu_eval.read_rows(shared_data / "dialog" / name)
    ]
    result, _ = nlu_eval.score(understandings["bank"], rows)
    accuracy, oos_recall, _, _ = result["en"]
    assert accuracy >= floor_accuracy and oos_recall >= floor_oos


def test_benchmark_prints_the_contract_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "public.csv"
    data.write_text(
        "text,intent\nwhat is my balance,balance\n我的卡丢了,lost_or_stolen_card\n"
        "tell me a joke,oos\nhow tall is a giraffe,oos\n",
        encoding="utf-8",
    )
    assert _nlu_eval().main(["--data", str(data)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "en intent accuracy: 1.000",
        "en out-of-scope recall: 1.000",
        "zh intent accuracy: 1.000",
        "zh out-of-scope recall: nan",
    ]
