"""Offline training: corpora → recurrent language models → ONNX exports (the only package using torch)."""
