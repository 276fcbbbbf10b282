"""Ask a running bot's ``/healthz``: exit status 0 when it answers healthy, 1 when not, 2 when
there is nothing to ask. ``bardling health`` and the container's ``HEALTHCHECK`` both run this;
the image calls ``python -m bot.observability.health``, which starts in a fraction of the time
the whole CLI takes, every 30 seconds.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from bot.config import Settings
from bot.errors import first_line

TIMEOUT_S = 5.0
WILDCARDS = ("0.0.0.0", "::", "")


def health_url(settings: Settings) -> str | None:
    """Where this machine reaches the bot's health endpoint (None: metrics are off)."""
    if settings.metrics_port is None:
        return None
    host = "127.0.0.1" if settings.metrics_listen in WILDCARDS else settings.metrics_listen
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.metrics_port}/healthz"


def check(url: str, timeout: float = TIMEOUT_S) -> tuple[bool, str]:
    """(healthy, one line saying why)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return True, f"healthy: {answer.read().decode(errors='replace').strip()}"
    except urllib.error.HTTPError as err:
        return False, f"unhealthy (HTTP {err.code}): {err.read().decode(errors='replace').strip()[:300]}"
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        return False, f"no answer from {url}: {reason}"


def main(settings: Settings | None = None) -> int:
    try:
        settings = settings or Settings()
    except ValueError as err:
        print(f"invalid settings: {first_line(err)}", file=sys.stderr)
        return 2
    url = health_url(settings)
    if url is None:
        print("BARDLING_METRICS_PORT is not set: the bot serves no health endpoint", file=sys.stderr)
        return 2
    healthy, line = check(url)
    print(line, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
