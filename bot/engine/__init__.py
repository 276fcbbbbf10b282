"""Inference on ONNX Runtime: model registry, sessions, sampling, continuous batching."""
