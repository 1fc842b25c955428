"""The ONNX graph computes what BERT's reference arithmetic computes on the same weights.

The reference below is the six-layer forward pass written out in NumPy (the encoder
ran it this way until the graph replaced it); the graph must agree with it to float32
rounding, so the intent classifier's features do not change with the runtime.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from safetensors.numpy import load_file

from sciaticalm.minilm_graph import HEADS, LAYER_NORM_EPS, LAYERS
from sciaticalm.sentence_encoder import default_encoder, model_dir


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LAYER_NORM_EPS) * weight + bias


def reference_hidden_states(w: dict[str, np.ndarray], ids: np.ndarray) -> np.ndarray:
    n = len(ids)

    def linear(x: np.ndarray, name: str) -> np.ndarray:
        return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]

    x = (w["embeddings.word_embeddings.weight"][ids]
         + w["embeddings.position_embeddings.weight"][:n]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    head = x.shape[1] // HEADS
    erf = np.vectorize(math.erf)
    for i in range(LAYERS):
        p = f"encoder.layer.{i}"
        q, k, v = (linear(x, f"{p}.attention.self.{name}").reshape(n, HEADS, head)
                   for name in ("query", "key", "value"))
        scores = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(head)
        attn = np.exp(scores - scores.max(-1, keepdims=True))
        attn /= attn.sum(-1, keepdims=True)
        context = np.einsum("hqk,khd->qhd", attn, v).reshape(n, -1)
        x = _layer_norm(x + linear(context, f"{p}.attention.output.dense"),
                        w[f"{p}.attention.output.LayerNorm.weight"],
                        w[f"{p}.attention.output.LayerNorm.bias"])
        h = linear(x, f"{p}.intermediate.dense")
        h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))
        x = _layer_norm(x + linear(h, f"{p}.output.dense"),
                        w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"])
    return x


@pytest.fixture(scope="module")
def weights() -> dict[str, np.ndarray]:
    return load_file(str(model_dir() / "model.safetensors"))


@pytest.mark.parametrize("text", [
    "hi",
    "I upped my mileage from 20 to 35 miles a week and now my lower back aches after long runs",
    "numbness in the saddle area",
])
def test_the_graph_matches_the_reference_forward_pass(weights: dict[str, np.ndarray],
                                                      text: str) -> None:
    encoder = default_encoder()
    ids = encoder.word_piece_ids(text)
    expected = reference_hidden_states(weights, ids)
    got = encoder.hidden_states(ids)
    assert got.shape == expected.shape == (len(ids), 384)
    assert float(np.abs(got - expected).max()) < 1e-4
