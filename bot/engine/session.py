"""Opening an ONNX Runtime InferenceSession for a step graph: the provider that really runs, threads.

``onnxruntime-gpu`` on a machine without a usable CUDA logs an error and silently builds a CPU
session, so the provider is read back from ``session.get_providers()`` rather than assumed.
The first failed CUDA attempt is remembered for the process, and ORT's logger is silenced while
probing, so a CPU machine does not print a CUDA error for every model it loads.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import onnxruntime as ort

from artifact.manifest import LOGITS_OUTPUT, TOKENS_INPUT, Manifest
from bot.engine.api import EngineError, ModelUnavailableError
from bot.errors import first_line

Device = Literal["auto", "cpu", "cuda"]
CUDA_EP = "CUDAExecutionProvider"
CPU_EP = "CPUExecutionProvider"
_QUIET = 4  # ORT log severity: fatal only
_DEFAULT_SEVERITY = 2  # ORT's default: warnings

_cuda_lock = threading.Lock()
_cuda_usable: bool | None = None  # None: not tried yet in this process


class DeviceUnavailableError(EngineError):
    """``device=cuda`` was asked for and this machine cannot run it."""


@dataclass(frozen=True)
class StepSession:
    session: ort.InferenceSession
    provider: Literal["cpu", "cuda"]
    state_inputs: list[str]
    state_outputs: list[str]
    state_shapes: list[tuple[int, int]]  # (layers, hidden) per state tensor
    vocab_size: int


def machine_threads() -> int:
    """Cores this process may run on (affinity-aware where the OS tells)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_threads() -> int:
    """Intra-op threads when none are configured: every core but one, at least one.

    The spare core runs the event loop, the NumPy sampling between steps and the other models'
    batchers. On a 2-core machine under load, one ONNX Runtime thread ran a GRU-512 step 2-3×
    faster than two (a parallel kernel waits for its slowest, often descheduled, thread).
    """
    return max(1, machine_threads() - 1)


def check_device(device: Device) -> None:
    """Fail early when CUDA is demanded but this ONNX Runtime build cannot even offer it."""
    if device == "cuda" and CUDA_EP not in ort.get_available_providers():
        raise DeviceUnavailableError(
            "device 'cuda' was requested but this ONNX Runtime has no CUDA support (install onnxruntime-gpu)"
        )


def open_step_session(
    onnx_path: Path, manifest: Manifest, device: Device, threads: int, *, cuda_graph: bool = False
) -> StepSession:
    """A session for ``onnx_path`` on ``device``, checked against the manifest's graph contract.

    ``cuda_graph`` asks the CUDA provider to capture the step as a CUDA graph; it needs the
    fixed shapes and bound buffers that ``runner.BoundStateRunner`` provides.
    """
    global _cuda_usable
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    check_device(device)
    want_cuda = device == "cuda" or (
        device == "auto" and _cuda_usable is not False and CUDA_EP in ort.get_available_providers()
    )
    try:
        if not want_cuda:
            session = ort.InferenceSession(str(onnx_path), options, providers=[CPU_EP])
        else:
            cuda_options = {"device_id": "0", "enable_cuda_graph": "1" if cuda_graph else "0"}
            with _cuda_lock, _quiet_ort():
                _preload_cuda_libraries()
                session = ort.InferenceSession(
                    str(onnx_path), options, providers=[(CUDA_EP, cuda_options), CPU_EP]
                )
                _cuda_usable = CUDA_EP in session.get_providers()
    except Exception as err:  # ORT's own exception types derive from Exception only
        raise ModelUnavailableError(
            f"model '{manifest.name}' could not be loaded: {first_line(err)}"
        ) from err
    on_cuda = CUDA_EP in session.get_providers()
    if device == "cuda" and not on_cuda:
        raise DeviceUnavailableError(
            "device 'cuda' was requested but ONNX Runtime cannot use CUDA here (no GPU or no CUDA libraries)"
        )
    return _checked(session, manifest, "cuda" if on_cuda else "cpu")


def _checked(
    session: ort.InferenceSession, manifest: Manifest, provider: Literal["cpu", "cuda"]
) -> StepSession:
    inputs = {i.name for i in session.get_inputs()}
    outputs = {o.name: o for o in session.get_outputs()}
    states = manifest.onnx.state
    missing = sorted(
        ({TOKENS_INPUT} | {s.input for s in states}) - inputs
        | ({LOGITS_OUTPUT} | {s.output for s in states}) - set(outputs)
    )
    if missing:
        raise ModelUnavailableError(
            f"model '{manifest.name}' does not follow the step-graph contract (missing {', '.join(missing)})"
        )
    vocab = manifest.architecture.vocab_size
    logits_dim = outputs[LOGITS_OUTPUT].shape[-1] if outputs[LOGITS_OUTPUT].shape else None
    if isinstance(logits_dim, int) and logits_dim != vocab:
        raise ModelUnavailableError(
            f"model '{manifest.name}' returns {logits_dim} logits but its vocabulary has {vocab} symbols"
        )
    return StepSession(
        session=session,
        provider=provider,
        state_inputs=[s.input for s in states],
        state_outputs=[s.output for s in states],
        state_shapes=[(s.layers, s.hidden) for s in states],
        vocab_size=vocab,
    )


@contextlib.contextmanager
def _quiet_ort() -> Iterator[None]:
    ort.set_default_logger_severity(_QUIET)
    try:
        yield
    finally:
        ort.set_default_logger_severity(_DEFAULT_SEVERITY)


def _preload_cuda_libraries() -> None:
    """Load CUDA/cuDNN from pip-installed NVIDIA packages when present; its complaints are not ours."""
    preload = getattr(ort, "preload_dlls", None)
    if preload is None:
        return
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(Exception):
        preload()
