"""Which text a retraining job learns from: the served version's own corpus, or an uploaded file.

An existing model retrains on the corpus its manifest names, so old and new validation losses
are measured on the same held-out text. A new model name needs a corpus: a registered one
(``sonnets``) or a UTF-8 text file an admin attached. Uploads are checked (size, encoding, not
binary, not blank), normalised (no BOM, ``\\n`` line ends) and kept under the data dir by content
hash, so a model's manifest keeps pointing at the exact text it was trained on.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artifact.corpora import CORPORA
from artifact.files import write_atomic
from artifact.manifest import Manifest
from bot.core.errors import UserError
from bot.core.text import too_big

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


@dataclass(frozen=True)
class CorpusPlan:
    corpus: str  # what ``bardling train`` is given: a registered corpus name or a file path
    inherited: dict[str, Any] = field(default_factory=dict)  # the served version's training settings
    new_model: bool = False


def check_new_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise UserError(
            "A new model name is 1–32 characters: lower-case letters, digits, - and _, "
            "starting with a letter or digit."
        )


def plan_existing(manifest: Manifest) -> CorpusPlan:
    """Retrain on the text the served version was trained on."""
    inherited: dict[str, Any] = dict(manifest.training.get("config") or {})
    corpus = str(inherited.get("corpus") or manifest.corpus.name)
    if corpus in CORPORA:
        return CorpusPlan(corpus, inherited)
    if Path(corpus).is_absolute() and Path(corpus).is_file():
        return CorpusPlan(corpus, inherited)
    raise UserError(
        f"{manifest.name} was trained on “{corpus}”, which is neither a registered corpus "
        f"({', '.join(sorted(CORPORA))}) nor a file here. Attach its text under a new model name."
    )


def plan_registered(name: str) -> CorpusPlan | None:
    """A new model on a registered corpus of the same name (``/retrain sonnets``), if there is one."""
    return CorpusPlan(name, new_model=True) if name in CORPORA else None


def store_upload(path: Path, *, uploads_dir: Path, model: str, max_bytes: int) -> Path:
    """Check an uploaded corpus and keep a normalised copy; returns the path training will read."""
    data = read_bounded(path, max_bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UserError(
            f"The attached file is not UTF-8 text (byte {err.start} cannot be decoded). "
            "Save it as UTF-8 and send it again."
        ) from None
    if "\x00" in text:
        raise UserError("The attached file looks binary (it contains NUL characters); send plain text.")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise UserError("The attached file is empty.")
    payload = text.encode("utf-8")
    target = uploads_dir / hashlib.sha256(payload).hexdigest()[:16] / f"{model}.txt"
    if not target.is_file():
        write_atomic(target, payload)
    return target


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, read no further than that: a device
    (``/dev/zero``) or a directory is refused, and a FIFO neither blocks the open nor the read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        raise UserError("The attached file could not be read — please send it again.") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UserError("The attached file is a directory; attach a text file.")
        raise UserError("The attached file is not a regular file (a device or a pipe); attach a text file.")
    with os.fdopen(fd, "rb") as fh:
        if info.st_size > max_bytes:
            raise UserError(too_big(info.st_size, max_bytes))
        data = fh.read(max_bytes + 1)  # a file still growing is cut off here, not read on
    if len(data) > max_bytes:
        raise UserError(f"The attached file is more than {max_bytes:,} bytes; the limit is {max_bytes:,}.")
    return data
