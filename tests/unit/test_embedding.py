"""The numpy BERT sentence encoder (all-MiniLM-L6-v2) against published similarities, its cache,
and the semantic knowledge-base search built on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialog.embedding import EmbeddingError, SentenceEncoder
from dialog.kb import KnowledgeBase
from dialog.pack import DEFAULT_PACKS_DIR, load_pack
from tests.conftest import model_folder


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> SentenceEncoder:
    return SentenceEncoder.load(
        model_folder("minilm-l6-v2"), cache_dir=tmp_path_factory.mktemp("cache")
    )


def test_matches_the_similarities_published_for_the_model(encoder: SentenceEncoder) -> None:
    # The sentence-transformers README quick start prints this matrix for all-MiniLM-L6-v2:
    # [[1.0000, 0.6660, 0.1046], [0.6660, 1.0000, 0.1411], [0.1046, 0.1411, 1.0000]].
    v = encoder.encode(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
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


def test_missing_folder_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match="dhe models minilm-l6-v2"):
        SentenceEncoder.load(tmp_path)


def test_semantic_kb_finds_paraphrases_and_declines_the_rest(encoder: SentenceEncoder) -> None:
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
        assert 0.55 <= answer.score <= 1.3
    assert kb.search("who won the football match last night", "en") is None
    zh = kb.search("营业时间是几点", "zh")  # Chinese keeps BM25
    assert zh is not None and zh.score > 1.0


def test_engine_resolves_the_configured_model() -> None:
    from engine.embeddings import sentence_encoder

    assert sentence_encoder("off") is None
    with pytest.raises(EmbeddingError, match="'no-such-model' is neither a folder nor"):
        sentence_encoder("no-such-model")
    with pytest.raises(EmbeddingError, match="no such folder: /nonexistent/model"):
        sentence_encoder("/nonexistent/model")


def test_broken_unicode_is_embedded_not_fatal(encoder: SentenceEncoder) -> None:
    # A lone surrogate (valid JSON "\ud800", undecodable terminal bytes) made the tokenizer raise.
    v = encoder.encode(["\ud800 where can I park", "\udcff\udcfe"])
    assert v.shape == (2, 384) and np.isfinite(v).all()
