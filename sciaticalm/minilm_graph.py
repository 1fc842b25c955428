"""all-MiniLM-L6-v2's forward pass as an ONNX graph, built from the packaged weights.

NumPy runs a chat-sized input (3 to 30 word pieces) far below the CPU's speed: each of
the ~150 operations of a forward pass pays Python and BLAS call overhead on small
matrices. ONNX Runtime runs the same operations as one compiled graph, about three
times faster (docs/performance.md, "Cost per turn"). The graph is built in memory at
start-up from the same safetensors file, so no model file is downloaded or converted by
hand, and PyTorch is never needed. The graph itself holds no weights: each is declared
by name and shape as external data, and the session is handed the NumPy arrays
(SessionOptions.add_external_initializers), which it copies once; serializing them into
the protobuf instead made a start-up peak of about 750 MB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

LAYERS = 6
HEADS = 12
WIDTH = 384
LAYER_NORM_EPS = 1e-12
OPSET = 17  # the first with LayerNormalization as one operator
INPUT_IDS = "input_ids"
POSITION_IDS = "position_ids"
OUTPUT = "last_hidden_state"
EXTERNAL_LOCATION = "supplied-at-load"  # never a file: see SentenceEncoder
SMALL = 16  # elements: constants up to this size are written into the graph itself


@dataclass(frozen=True)
class Graph:
    """The serialized model, and the arrays its declared initializers must be given."""

    model: bytes
    initializers: dict[str, np.ndarray]


@dataclass
class _Builder:
    """Collects nodes and weights; each node's output gets a fresh name."""

    weights: Mapping[str, np.ndarray]
    nodes: list = field(default_factory=list)
    declared: list = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    count: int = 0

    def constant(self, name: str, value: np.ndarray) -> str:
        """A small constant (a shape, a scalar) goes into the graph, since shape inference
        reads it; a weight is declared by name, type and shape, its data supplied at load."""
        from onnx import TensorProto, numpy_helper

        array = np.ascontiguousarray(value)
        if array.size <= SMALL:
            self.declared.append(numpy_helper.from_array(array, name))
            return name
        tensor = TensorProto(name=name, dims=list(array.shape), data_type=TensorProto.FLOAT,
                             data_location=TensorProto.EXTERNAL)
        tensor.external_data.add(key="location", value=EXTERNAL_LOCATION)
        self.declared.append(tensor)
        self.arrays[name] = array.astype(np.float32, copy=False)
        return name

    def op(self, op_type: str, *inputs: str, **attributes: object) -> str:
        from onnx import helper

        self.count += 1
        output = f"{op_type.lower()}_{self.count}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], **attributes))
        return output

    def linear(self, x: str, name: str) -> str:
        """x @ weight.T + bias, with the weight as stored (out, in): no transposed copy."""
        return self.op("Gemm", x, self.constant(f"{name}.weight", self.weights[f"{name}.weight"]),
                       self.constant(f"{name}.bias", self.weights[f"{name}.bias"]), transB=1)

    def heads(self, x: str, name: str, split: str, perm: list[int]) -> str:
        """A projection of x split into (heads, n, head size), or (heads, head size, n)."""
        return self.op("Transpose", self.op("Reshape", self.linear(x, name), split), perm=perm)

    def layer_norm(self, x: str, name: str) -> str:
        return self.op("LayerNormalization", x,
                       self.constant(f"{name}.weight", self.weights[f"{name}.weight"]),
                       self.constant(f"{name}.bias", self.weights[f"{name}.bias"]),
                       axis=-1, epsilon=LAYER_NORM_EPS)


def bert_graph(weights: Mapping[str, np.ndarray]) -> Graph:
    """The ONNX model: (input_ids, position_ids), both int64 of shape (n,),
    to the last hidden state (n, 384). Same arithmetic as the BERT reference: exact
    GELU via erf, attention scaled by 1/sqrt(head size), post-layer normalization."""
    from onnx import TensorProto, helper

    b = _Builder(weights)
    head = WIDTH // HEADS
    split = b.constant("split_heads", np.array([-1, HEADS, head], dtype=np.int64))
    merge = b.constant("merge_heads", np.array([-1, WIDTH], dtype=np.int64))
    scale = b.constant("attention_scale", np.array(1.0 / np.sqrt(head), dtype=np.float32))
    half = b.constant("half", np.array(0.5, dtype=np.float32))
    one = b.constant("one", np.array(1.0, dtype=np.float32))
    inv_sqrt2 = b.constant("inv_sqrt2", np.array(1.0 / np.sqrt(2.0), dtype=np.float32))

    x = b.op("Add",
             b.op("Add",
                  b.op("Gather", b.constant("word_embeddings",
                                            weights["embeddings.word_embeddings.weight"]),
                       INPUT_IDS),
                  b.op("Gather", b.constant("position_embeddings",
                                            weights["embeddings.position_embeddings.weight"]),
                       POSITION_IDS)),
             b.constant("token_type_0", weights["embeddings.token_type_embeddings.weight"][0]))
    x = b.layer_norm(x, "embeddings.LayerNorm")
    for i in range(LAYERS):
        p = f"encoder.layer.{i}"
        q = b.heads(x, f"{p}.attention.self.query", split, [1, 0, 2])
        k = b.heads(x, f"{p}.attention.self.key", split, [1, 2, 0])  # transposed for q @ k
        v = b.heads(x, f"{p}.attention.self.value", split, [1, 0, 2])
        attention = b.op("Softmax", b.op("Mul", b.op("MatMul", q, k), scale), axis=-1)
        context = b.op("Reshape", b.op("Transpose", b.op("MatMul", attention, v),
                                       perm=[1, 0, 2]), merge)
        x = b.layer_norm(b.op("Add", x, b.linear(context, f"{p}.attention.output.dense")),
                         f"{p}.attention.output.LayerNorm")
        h = b.linear(x, f"{p}.intermediate.dense")
        h = b.op("Mul", b.op("Mul", h, half),
                 b.op("Add", one, b.op("Erf", b.op("Mul", h, inv_sqrt2))))
        x = b.layer_norm(b.op("Add", x, b.linear(h, f"{p}.output.dense")),
                         f"{p}.output.LayerNorm")
    b.nodes.append(helper.make_node("Identity", [x], [OUTPUT]))
    graph = helper.make_graph(
        b.nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info(INPUT_IDS, TensorProto.INT64, ["n"]),
         helper.make_tensor_value_info(POSITION_IDS, TensorProto.INT64, ["n"])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["n", WIDTH])],
        b.declared)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    return Graph(model=model.SerializeToString(), initializers=b.arrays)
