"""``python -m app.server.healthcheck``: exit 0 if the local server answers /healthz.

This is the Docker image's HEALTHCHECK; it reads the port from RPC_PORT like the server.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('RPC_PORT', '8080')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
