"""``python -m bot.jobs.child [--memory BYTES] NICE PROGRAM [ARGS...]``: start a training command as
the bot's child.

The training process must not outlive the bot that follows it (a crashed bot would leave an
orphan burning the CPU with nobody reading its progress), and must not starve the bot's replies
of CPU or memory. So this wrapper asks Linux to SIGKILL it when its parent dies, lowers its CPU
priority, bounds its memory, and then replaces itself with PROGRAM (same pid, so the worker's
process group still holds it).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """SIGKILL this process when the thread that started it ends (Linux only; a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def lower_priority(nice: int) -> None:
    """Nice this process, and its autogroup when it was started with setsid: with Linux's autogroup
    scheduling such a process is a group of its own, and nice values only rank threads in a group."""
    os.nice(nice)
    if nice > 0 and os.getsid(0) == os.getpid():  # never re-nice a group shared with the bot
        with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as fh:
            fh.write(str(nice))


def limit_memory(max_bytes: int) -> None:
    """Bound the memory the process may write to (``RLIMIT_DATA``: heap and private writable
    mappings, where tensors live); past it an allocation fails (MemoryError) instead of the machine
    swapping or the kernel's OOM killer picking the bot. Unlike ``RLIMIT_AS`` it leaves alone the
    large address ranges CUDA reserves without using them."""
    if max_bytes > 0:
        resource.setrlimit(resource.RLIMIT_DATA, (max_bytes, max_bytes))


def main(argv: list[str]) -> None:
    memory = 0
    if argv[:1] == ["--memory"] and len(argv) >= 2:
        memory, argv = int(argv[1]), argv[2:]
    if len(argv) < 2:
        sys.exit("usage: python -m bot.jobs.child [--memory BYTES] NICE PROGRAM [ARGS...]")
    parent = os.getppid()
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        sys.exit(1)
    lower_priority(int(argv[0]))
    limit_memory(memory)
    os.execvp(argv[1], argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
