"""Dense features for the intent classifier from all-MiniLM-L6-v2 (sciaticalm.sentence_encoder).

The sparse featurizers know only words seen in the training data; the sentence
vector carries meaning across wording nobody here wrote ("upped my mileage" and
"doubled my distance"). Each whitespace token gets the mean of the word pieces
it covers, so the sequence features line up with the sparse ones; the sentence
feature is the model's pooled, unit-length vector. Measured in docs/understanding.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from sciaticalm.sentence_encoder import Encoded, default_encoder, encode_text

# The encoder reads at most this many characters of a message (its word-piece limit
# cuts long texts anyway; this bounds the tokenizer's work on a huge message).
MAX_CHARS = 2000
WIDTH = 384  # all-MiniLM-L6-v2's vector size


def token_vectors(encoded: Encoded, spans: list[tuple[int, int]]) -> np.ndarray:
    """One vector per (start, end) token span: the mean of the word pieces it overlaps
    (zeros for a token past the encoder's limit)."""
    width = encoded.pieces.shape[1] if encoded.pieces.ndim == 2 else encoded.sentence.shape[0]
    out = np.zeros((len(spans), width), dtype=np.float32)
    for i, (start, end) in enumerate(spans):
        rows = [j for j, (ps, pe) in enumerate(encoded.offsets) if ps < end and pe > start]
        if rows:
            out[i] = encoded.pieces[rows].mean(0)
    return out


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Sentence and token features from all-MiniLM-L6-v2, for the message text only."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config()}

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GraphComponent:
        default_encoder()  # load the weights at start-up, not on the first visitor's turn
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to validate beyond the featurizer defaults."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._featurize(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def _featurize(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        text = message.get(TEXT)
        if tokens is None or text is None:
            return  # not a text message (an action name, a response): nothing to add
        # An empty or blank message still gets (zero) features: DIET expects the same
        # feature types for every message it classifies.
        encoded = (encode_text(text[:MAX_CHARS]) if text.strip()
                   else Encoded(sentence=np.zeros(WIDTH, dtype=np.float32),
                                pieces=np.zeros((0, WIDTH), dtype=np.float32), offsets=[]))
        sequence = token_vectors(encoded, [(t.start, t.end) for t in tokens])
        alias = self._config[FEATURIZER_CLASS_ALIAS]
        message.add_features(Features(sequence, FEATURE_TYPE_SEQUENCE, TEXT, alias))
        message.add_features(Features(encoded.sentence[np.newaxis, :].copy(),
                                      FEATURE_TYPE_SENTENCE, TEXT, alias))
