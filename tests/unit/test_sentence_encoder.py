"""all-MiniLM-L6-v2 in NumPy: the vectors the intent classifier's dense features use."""

from __future__ import annotations

import numpy as np

from sciaticalm.sentence_encoder import Encoded, default_encoder
from server.nlu.minilm_featurizer import token_vectors


def similarity(a: str, b: str) -> float:
    encoder = default_encoder()
    return float(encoder.encode(a).sentence @ encoder.encode(b).sentence)


def test_sentence_vectors_are_unit_length_and_carry_meaning() -> None:
    encoded = default_encoder().encode("I upped my mileage and my back hurts")
    assert encoded.sentence.shape == (384,)
    assert abs(float(np.linalg.norm(encoded.sentence)) - 1.0) < 1e-4
    # paraphrases with no word in common are closer than the same words on another subject
    near = similarity("I doubled my weekly distance", "I upped my mileage a lot")
    far = similarity("I doubled my weekly distance", "which shoes should I buy")
    assert near > far + 0.2


def test_word_pieces_keep_their_offsets_into_the_text() -> None:
    text = "my trainers are knackered"
    encoded = default_encoder().encode(text)
    assert len(encoded.offsets) == encoded.pieces.shape[0]
    assert [text[s:e] for s, e in encoded.offsets][:2] == ["my", "trainers"]


def test_each_token_gets_the_mean_of_its_word_pieces() -> None:
    pieces = np.array([[1.0, 0.0], [3.0, 2.0], [5.0, 5.0]], dtype=np.float32)
    encoded = Encoded(sentence=np.zeros(2, dtype=np.float32), pieces=pieces,
                      offsets=[(0, 3), (3, 6), (7, 9)])
    vectors = token_vectors(encoded, [(0, 6), (7, 9), (20, 25)])
    assert vectors.tolist() == [[2.0, 1.0], [5.0, 5.0], [0.0, 0.0]]


def test_a_huge_message_is_cut_not_refused() -> None:
    encoded = default_encoder().encode("back pain " * 2000)
    assert encoded.pieces.shape[0] <= 256


def test_an_empty_message_gets_zero_features_of_the_usual_shape() -> None:
    """DIET fails on a message whose feature types differ from training: "" and "   "
    must still get a sequence and a sentence feature."""
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message

    from server.nlu.minilm_featurizer import MiniLMFeaturizer

    featurizer = MiniLMFeaturizer({**MiniLMFeaturizer.get_default_config(), "alias": "m"}, "m")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    for text in ("", "   ", "my back hurts"):
        message = Message(data={"text": text})
        tokenizer.process([message])
        featurizer.process([message])
        sequence, sentence = message.get_dense_features("text")
        assert sequence.features.shape == (len(message.get("text_tokens")), 384)
        assert sentence.features.shape == (1, 384)
