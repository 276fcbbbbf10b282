"""Write an NVIDIA Triton model repository for exported step models (docs/scaling.md).

Triton's sequence batcher keeps each sequence's state between requests ("implicit state") and
batches the steps of many sequences along the first dimension. The exported graphs carry their
state as ``[layers, batch, hidden]``, so each copy written here gets a ``Transpose`` after every
state input and before every state output: the same computation, with batch-first state.

    python deploy/triton_repository.py --out model_repository exported_models/*

Needs the ``onnx`` package (the ``train`` extra). Nothing here runs Triton.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import onnx
from onnx import helper

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from artifact.manifest import LOGITS_OUTPUT, TOKENS_INPUT, Manifest  # noqa: E402

SWAP_BATCH_AND_LAYERS = [1, 0, 2]


def batch_first(model: onnx.ModelProto, manifest: Manifest) -> onnx.ModelProto:
    """A copy of the step graph whose state tensors are ``[batch, layers, hidden]``."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    before, after = [], []
    for state in manifest.onnx.state:
        inner_in, inner_out = f"{state.input}__layers_first", f"{state.output}__layers_first"
        for node in graph.node:
            node.input[:] = [
                inner_in if n == state.input else inner_out if n == state.output else n for n in node.input
            ]
            node.output[:] = [inner_out if n == state.output else n for n in node.output]
        before.append(helper.make_node("Transpose", [state.input], [inner_in], perm=SWAP_BATCH_AND_LAYERS))
        after.append(helper.make_node("Transpose", [inner_out], [state.output], perm=SWAP_BATCH_AND_LAYERS))
        for value in [*graph.input, *graph.output]:
            if value.name in (state.input, state.output):
                dims = value.type.tensor_type.shape.dim
                first, second = onnx.TensorShapeProto.Dimension(), onnx.TensorShapeProto.Dimension()
                first.CopyFrom(dims[1])
                second.CopyFrom(dims[0])
                dims[0].CopyFrom(first)
                dims[1].CopyFrom(second)
    nodes = [*before, *graph.node, *after]
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    return model


def config(manifest: Manifest, max_batch_size: int) -> str:
    """``config.pbtxt``: ONNX Runtime backend, sequence batcher, zero initial state."""
    states = "\n".join(
        f"""    {{
      input_name: "{s.input}"
      output_name: "{s.output}"
      data_type: TYPE_FP32
      dims: [ {s.layers}, {s.hidden} ]
      initial_state {{ name: "zeros" data_type: TYPE_FP32 dims: [ {s.layers}, {s.hidden} ] zero_data: true }}
    }}"""
        for s in manifest.onnx.state
    )
    return f"""name: "{manifest.name}"
backend: "onnxruntime"
max_batch_size: {max_batch_size}
input [ {{ name: "{TOKENS_INPUT}" data_type: TYPE_INT64 dims: [ 1 ] }} ]
output [ {{ name: "{LOGITS_OUTPUT}" data_type: TYPE_FP32 dims: [ {manifest.architecture.vocab_size} ] }} ]
sequence_batching {{
  max_sequence_idle_microseconds: 60000000
  oldest {{ max_candidate_sequences: {4 * max_batch_size} max_queue_delay_microseconds: 200 }}
  state [
{states}
  ]
}}
instance_group [ {{ kind: KIND_GPU count: 1 }} ]
"""


def write(model_dir: Path, out: Path, max_batch_size: int) -> Path:
    """``out/<name>/config.pbtxt`` and ``out/<name>/<version>/model.onnx`` (Triton versions are numbers)."""
    manifest = Manifest.read(model_dir)
    target = out / manifest.name
    version = manifest.version if manifest.version.isdigit() else "1"
    (target / version).mkdir(parents=True, exist_ok=True)
    model = batch_first(onnx.load(str(model_dir / manifest.onnx.file)), manifest)
    onnx.save(model, str(target / version / "model.onnx"))
    (target / "config.pbtxt").write_text(config(manifest, max_batch_size), encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", type=Path, help="exported model directories")
    parser.add_argument("--out", type=Path, required=True, help="the model repository to write")
    parser.add_argument("--max-batch-size", type=int, default=256)
    args = parser.parse_args()
    for model_dir in args.models:
        try:
            print(write(model_dir, args.out, args.max_batch_size))
        except (OSError, ValueError) as err:
            parser.exit(2, f"{model_dir}: {err}\n")


if __name__ == "__main__":
    main()
