"""NLU: commands by rule, language detection, the classifier (character n-grams plus multilingual
sentence embeddings, as the engine runs it) on the packs' own labelled sets (kept apart from the
training examples), the visitor paraphrases a trial found missed, and the public banking lines."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from dialog.commands import detect_language, match_command
from dialog.embedding import SentenceEncoder
from dialog.kb import parse_markdown
from dialog.pack import DEFAULT_PACKS_DIR, load_pack
from dialog.understanding import Understanding
from engine.embeddings import embedding_cache_dir
from tests.conftest import model_folder

REPO = Path(__file__).resolve().parents[2]
PACKS = ("bank", "tax")


def _nlu_eval():
    spec = importlib.util.spec_from_file_location("nlu_eval", REPO / "benchmarks" / "nlu_eval.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["nlu_eval"] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def understandings() -> dict[str, Understanding]:
    # The engine's embedding cache (pack texts only, keyed by model fingerprint and text): the
    # servers and trained_dialog() read the same vectors instead of embedding both packs again.
    encoder = SentenceEncoder.load(
        model_folder("multilingual-e5-small"), cache_dir=embedding_cache_dir()
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


def _training_lines(domain: str) -> set[str]:
    """Every line the domain's classifier trains on: intent examples, knowledge-base headings
    and the questions listed in its sections (lower-cased)."""
    intents = yaml.safe_load((DEFAULT_PACKS_DIR / domain / "intents.yaml").read_text("utf-8"))
    train = {
        str(x).strip().lower()
        for i in intents["intents"].values()
        for xs in i["examples"].values()
        for x in xs
    }
    for path in load_pack(DEFAULT_PACKS_DIR / domain).kb_files:
        for section in parse_markdown(path):
            train |= {q.strip().lower() for q in (section.heading, *section.questions)}
    return train


@pytest.mark.parametrize(("domain", "name", "per_language"), [
    *((d, n, (k, k)) for d in PACKS for n, k in (("test", 150), ("holdout", 100), ("visitor", 15),
                                                ("dev", 100), ("wording", 40))),
    ("bank", "fresh", (100, 60)),  # bank lines written in session 9 (issue 14), both languages
    ("tax", "fresh", (50, 100)),  # tax service-hall lines written in session 9 (issue 14)
    # terse app-banking lines written in session 10 from the public intent names, in two halves
    ("bank", "app_dev", (150, 0)),
    ("bank", "app_holdout", (150, 0)),
    # everyday paraphrases and the tax hall's Chinese lines, written in session 10
    *((d, "everyday", (15, 15)) for d in PACKS),
    ("tax", "hall_dev", (0, 74)),
    ("tax", "hall_heldout", (0, 74)),
    # the tax hall's wrong-counter and colloquial Chinese lines, written in session 11
    ("tax", "counter_dev", (0, 70)),
    ("tax", "counter_heldout", (0, 70)),
    # English counter, kiosk and tax-hall lines written in session 11, split row by row
    *((d, n, (k, 0)) for d, k in (("bank", 52), ("tax", 40)) for n in ("visit_dev", "visit_heldout")),
    # English FAQ questions across every bank section, written in session 12, split row by row
    ("bank", "section_dev", (66, 0)),
    ("bank", "section_heldout", (66, 0)),
    # Chinese kiosk lines (half chit-chat, personal questions, errands), written in session 12
    *(("tax", n, (0, 52)) for n in ("kiosk_dev", "kiosk_heldout")),
    # everyday bank lobby lines in pairs (closing time, transfers, complaints, polite lines),
    # written in session 13 before any change was scored, split row by row
    *(("bank", n, (28, 20)) for n in ("lobby_dev", "lobby_heldout")),
    # Chinese near pairs at the tax hall (another body's errand beside the hall's own matter
    # with the same word), written in session 14 before any change was scored, a pair split
    *(("tax", n, (0, 52)) for n in ("nearby_dev", "nearby_heldout")),
    # English FAQ questions in near-section pairs (sending abroad beside receiving, the app
    # beside its password), written in session 15 before any change was scored, a pair split
    *(("bank", n, (66, 0)) for n in ("pairs_dev", "pairs_heldout")),
    # terse lower-case app-banking lines across near sections, one in seven out of scope,
    # written in session 17 before any change was scored, split row by row
    *(("bank", n, (125, 0)) for n in ("terse_dev", "terse_heldout")),
    # Chinese hours questions (another place's beside the pack's own), written in session 18
    # before any change was scored, split row by row per kind
    *((d, n, (0, 30)) for d in PACKS for n in ("place_dev", "place_heldout")),
    # English lines that tell what happened first and ask second, session 18, split row by row
    *(("bank", n, (24, 0)) for n in ("story_dev", "story_heldout")),
])  # fmt: skip
def test_own_sets_are_kept_apart_from_training(
    domain: str, name: str, per_language: tuple[int, int]
) -> None:
    train = _training_lines(domain)
    with (DEFAULT_PACKS_DIR / domain / "eval" / f"{name}.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    langs = [detect_language(r["text"]) for r in rows]
    assert langs.count("en") >= per_language[0] and langs.count("zh") >= per_language[1]
    assert [r["text"] for r in rows if r["text"].strip().lower() in train] == []
    pack = load_pack(DEFAULT_PACKS_DIR / domain)
    headings = {s.heading for p in pack.kb_files for s in parse_markdown(p)}
    target = _nlu_eval().Target.parse
    for row in rows:  # every label names a real intent and real sections
        t = target(row["intent"])
        assert t.intent in {*pack.intents, "out_of_scope"} and t.sections <= headings, row


@pytest.mark.slow
@pytest.mark.timeout(900)  # the module's classifiers are trained in the first test (~1 min CPU)
@pytest.mark.parametrize(("domain", "name"), [(d, n) for d in PACKS for n in ("test", "holdout")])
def test_own_sets_meet_the_goals(
    domain: str, name: str, understandings: dict[str, Understanding]
) -> None:
    nlu_eval = _nlu_eval()
    rows = nlu_eval.read_rows(DEFAULT_PACKS_DIR / domain / "eval" / f"{name}.csv")
    answers = nlu_eval.answered_as(understandings[domain], [text for text, _ in rows])
    result, _ = nlu_eval.score(understandings[domain], rows, answers=answers)
    strict, _ = nlu_eval.score(understandings[domain], rows, sections=True, answers=answers)
    for lang in ("en", "zh"):
        accuracy, oos_recall, n_in, n_oos = result[lang]
        assert n_in >= 75 and n_oos >= 15
        # The figures measured are in the README; the goal is 0.95 (own test sets) and 0.90
        # (answers, held-out sets) with out-of-scope recall 0.90; the floors leave room for
        # noise from new examples.
        assert accuracy >= 0.93, (domain, name, lang, accuracy)
        assert strict[lang][0] >= 0.90, (domain, name, lang, strict[lang][0])
        assert oos_recall >= 0.85, (domain, name, lang, oos_recall)


@pytest.mark.parametrize(
    ("domain", "text", "intent", "heading"),
    [  # paraphrases a hand trial found answered wrong (issue 14); none is in the pack
        ("bank", "someone pinched my debit card on the bus", "report_lost_card", ""),
        ("bank", "I can't find my bank card anywhere", "report_lost_card", ""),
        ("bank", "lost my visa debit yesterday, can you block it", "report_lost_card", ""),
        ("bank", "我的车可以放哪儿", "faq", "停车"),
        ("bank", "寄给我的卡到现在还没到", "faq", "新卡和补办银行卡"),
        ("bank", "你们礼拜六上班吗", "faq", "营业时间"),
        # a newcomer's questions (session 9): a transfer abroad has a price, out-of-hours cash
        ("bank", "how much does a transfer abroad cost?", "faq", "Transfer limits and transfer fees"),
        ("bank", "can I get cash out on a sunday?", "faq", "ATMs and cash deposit machines"),
        ("tax", "what should I bring with me", "faq", "What to bring"),
        ("tax", "退税一般多长时间到账", "faq", "退税"),
        ("tax", "when is the deadline for the annual reconciliation", "faq",
         "Annual reconciliation: deadline and how to file"),
        ("tax", "年度汇算最晚哪天截止", "faq", "年度汇算的时间和办理方式"),
        # the Chinese paraphrases asked at the tax hall, and a newcomer's question
        ("tax", "你们礼拜六上班吗", "faq", "办税服务厅工作时间"),
        ("tax", "我的车可以放哪儿", "faq", "停车"),
        ("tax", "I moved here from abroad, do I have to pay tax?", "faq",
         "Tax residents and income from abroad"),
    ],
)  # fmt: skip
def test_paraphrases_found_missed_are_answered_right(
    domain: str, text: str, intent: str, heading: str, understandings: dict[str, Understanding]
) -> None:
    assert _nlu_eval().answered_as(understandings[domain], [text]) == [(intent, heading)]


PUBLIC = ("banking77_test_sample.csv", "clinc150_banking_subset_sample.csv")


def test_label_map_names_real_intents_and_sections() -> None:
    nlu_eval = _nlu_eval()
    pack = load_pack(DEFAULT_PACKS_DIR / "bank")
    headings = {s.heading for p in pack.kb_files for s in parse_markdown(p) if s.language == "en"}
    targets = list(
        nlu_eval.load_label_map(DEFAULT_PACKS_DIR / "bank" / "eval" / "label_map.yaml").values()
    )
    targets += [t.alternative for t in targets if t.alternative is not None]
    for target in targets:
        assert target.intent in pack.intents, target
        assert target.sections <= headings, target
        assert pack.intents[target.intent].kind == "kb" or not target.sections, target


def test_label_map_targets_parse() -> None:
    target = _nlu_eval().Target.parse("faq § Refunds | Pending payments; report_lost_card")
    assert (target.intent, target.sections) == ("faq", frozenset({"Refunds", "Pending payments"}))
    assert target.accepts("faq", "Refunds") and target.accepts("report_lost_card", "")
    assert not target.accepts("faq", "Parking")
    assert target.accepts("faq", "Parking", sections=False)
    assert not target.accepts("check_balance", "")


@pytest.mark.needs_data
@pytest.mark.parametrize("name", PUBLIC)
def test_public_lines_are_never_trained_on(shared_data: Path, name: str) -> None:
    train = _training_lines("bank")
    rows = _nlu_eval().read_rows(shared_data / "dialog" / name)
    assert [t for t, _ in rows if t.strip().lower() in train] == []


@pytest.mark.needs_data
@pytest.mark.parametrize(
    ("name", "floor_accuracy", "floor_oos", "floor_sections"),
    # Measured with multilingual-e5-small: BANKING77 0.914 / 0.911 (0.780 with the FAQ section
    # checked), CLINC150 0.904 / 0.922 (0.904). The floors guard against regressions.
    [(PUBLIC[0], 0.89, 0.85, 0.74), (PUBLIC[1], 0.88, 0.87, 0.88)],
)
def test_public_banking_lines_mapped_by_label_map(
    shared_data: Path,
    understandings: dict[str, Understanding],
    name: str,
    floor_accuracy: float,
    floor_oos: float,
    floor_sections: float,
) -> None:
    nlu_eval = _nlu_eval()
    mapping = nlu_eval.load_label_map(DEFAULT_PACKS_DIR / "bank" / "eval" / "label_map.yaml")
    rows = nlu_eval.map_rows(nlu_eval.read_rows(shared_data / "dialog" / name), mapping)
    answers = nlu_eval.answered_as(understandings["bank"], [text for text, _ in rows])
    result, _ = nlu_eval.score(understandings["bank"], rows, answers=answers)
    accuracy, oos_recall, _, _ = result["en"]
    assert accuracy >= floor_accuracy and oos_recall >= floor_oos
    strict, _ = nlu_eval.score(understandings["bank"], rows, sections=True, answers=answers)
    assert strict["en"][0] >= floor_sections


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("how do I top up my prepaid card", "out_of_scope_prepaid"),
        ("raise my credit card limit", "out_of_scope_credit"),
        ("send 50 yuan to my brother", "out_of_scope_money_movement"),
    ],
)
def test_out_of_scope_groups_rank_as_one(
    text: str, group: str, understandings: dict[str, Understanding]
) -> None:
    nlu = understandings["bank"].classifier.predict(text)
    assert nlu.intent is None
    assert nlu.ranking[0][0] == "out_of_scope"
    assert not any(name.startswith("out_of_scope_") for name, _ in nlu.ranking)
    assert nlu.outside == group  # the group that won, for its answer (intents.yaml answer:)


def test_nearest_neighbour_check_turns_a_near_miss_out_of_scope(
    understandings: dict[str, Understanding],
) -> None:
    classifier = understandings["bank"].classifier
    vectors, labels, _ = classifier._neighbours
    top_up = vectors[list(labels).index("out_of_scope")]
    # An utterance whose embedding is an out-of-scope example's: the check alone rejects it,
    # whatever the linear model said; a FAQ question's own embedding passes.
    assert classifier._nearest_is_outside(top_up, "faq")
    faq = vectors[list(labels).index("faq")]
    assert not classifier._nearest_is_outside(faq, "faq")


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
        "en answer accuracy: 1.000",
        "zh intent accuracy: 1.000",
        "zh out-of-scope recall: nan",
        "zh answer accuracy: 1.000",
    ]


def test_vectorised_probabilities_are_scikit_learns(
    understandings: dict[str, Understanding],
) -> None:
    # The classifier reads its calibrated SVM in one matrix step per fold; the numbers must be
    # scikit-learn's own predict_proba, and a batch must read each line as a single turn does.
    import numpy as np
    import scipy.sparse as sp

    from dialog.nlu_features import prep as _prep

    classifier = understandings["bank"].classifier
    texts = ["where can I park", "我的卡丢了", "what's the weather like", "send money home"]
    vectors = [classifier.embed(t) for t in texts]
    features = classifier._pipeline.named_steps["features"]
    blocks = [
        sp.csr_matrix(np.stack(vectors) * t.weight)
        if n == "embedding"
        else t.transform([_prep(x) for x in texts])
        for n, t in features.transformer_list
    ]
    matrix = sp.hstack(blocks).tocsr()
    expected = classifier._pipeline.named_steps["clf"].predict_proba(matrix)
    np.testing.assert_allclose(classifier._platt(matrix), expected, rtol=0, atol=1e-12)
    assert classifier.predict_many(texts, vectors) == [
        classifier.predict(t, v) for t, v in zip(texts, vectors, strict=True)
    ]
