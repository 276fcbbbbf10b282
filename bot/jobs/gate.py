"""Whether a freshly exported version may replace the served one.

Two questions, answered before anything is served: is the export what this job asked for
(``check_export``: readable manifest, right name and version, the ONNX file its manifest
describes, same kind, tokenization and corpus as the served version), and is it at least as good
(``judge``: its held-out validation loss is not worse than the served version's by more than
the tolerance). The new version's loss is the one its trainer just computed; the served
version's is measured again by the job worker (``bardling evaluate``) on the same held-out split
of the same corpus, never taken from its manifest, which could have been edited. The exporter's
parity check guarantees ONNX Runtime reproduces the logits the figures were computed from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from artifact.manifest import Manifest, describe_invalid, sha256_file


class ExportProblem(Exception):
    """The export is unusable or not comparable with the served version; nothing is served."""


def check_export(directory: Path, *, name: str, version: str, served: Manifest | None) -> Manifest:
    try:
        manifest = Manifest.read(directory)
    except (OSError, ValueError, ValidationError) as err:
        raise ExportProblem(f"the export has no readable manifest: {describe_invalid(err)}") from None
    if manifest.name != name or manifest.version != version:
        raise ExportProblem(
            f"the export is {manifest.name} {manifest.version}, not {name} {version} as asked"
        )
    onnx_path = directory / manifest.onnx.file
    if not onnx_path.is_file() or sha256_file(onnx_path) != manifest.onnx.sha256:
        raise ExportProblem(f"the export's {manifest.onnx.file} does not match its manifest checksum")
    check_comparable(manifest, served, what="the export")
    return manifest


def check_comparable(manifest: Manifest, served: Manifest | None, *, what: str) -> None:
    """``manifest`` may replace ``served``: a finite loss, same kind, tokenization and corpus."""
    if not math.isfinite(manifest.metrics.val_loss):
        raise ExportProblem(f"{what} has no finite validation loss")
    if served is None:
        return
    mine, theirs = manifest.build_tokenizer(), served.build_tokenizer()
    if manifest.kind != served.kind:
        raise ExportProblem(f"{what} makes {manifest.kind}, the served version {served.kind}")
    if (mine.mode, mine.lowercase) != (theirs.mode, theirs.lowercase):
        raise ExportProblem(f"{what} tokenizes differently from the served version")
    if manifest.corpus.sha256 != served.corpus.sha256:
        raise ExportProblem(
            f"{what} was trained on other text (corpus {manifest.corpus.sha256[:12]}…) than the "
            f"served version ({served.corpus.sha256[:12]}…); their losses are not comparable"
        )


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    new_loss: float
    old_loss: float | None  # None: nothing served yet
    tolerance: float

    @property
    def explanation(self) -> str:
        new, old = self.new_loss, self.old_loss
        if old is None:
            return f"validation loss {new:.3f}; nothing was served before"
        if new <= old:
            return f"validation loss {new:.3f}, down from {old:.3f}"
        within = "within the" if self.accepted else "over the"
        change = f"up {new - old:.3f} from {old:.3f}"
        return f"validation loss {new:.3f}, {change} ({within} {self.tolerance:g} tolerance)"


def judge(new: Manifest, served: Manifest | None, tolerance: float) -> Verdict:
    """Accept unless the new loss exceeds the served one by more than ``tolerance`` nats/token."""
    new_loss = new.metrics.val_loss
    if served is None:
        return Verdict(True, new_loss, None, tolerance)
    old_loss = served.metrics.val_loss
    return Verdict(new_loss <= old_loss + tolerance, new_loss, old_loss, tolerance)
