"""The peers `make bench PEERS=1` compares against: other JSON-RPC servers for Python, each
serving one `calc.add` app from this folder, tuned the way its docs allow (orjson where the
library takes a codec, no access log, the same event loop as the ceiling).

They live in their own venv, `bench/.peers-venv`, installed from the hashed lock
`requirements.txt` beside this file on first use (and again when the lock changes), so that
rpc-hub depends on none of them. The app files run in that venv, never in rpc-hub's.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench import servers, variants

HERE = Path(__file__).parent
VENV = HERE.parent / ".peers-venv"
LOCK = HERE / "requirements.txt"
_STAMP = VENV / ".installed"


@dataclass(frozen=True)
class Peer:
    package: str
    app: str
    """The app's file in this folder."""
    named_params: bool = False
    label: str = ""
    """Shown after the name and version, such as the HTTP server it runs on."""


PEERS = (
    Peer("jsonrpcserver", "jsonrpcserver_app.py", label="(aiohttp, tuned)"),
    Peer("aiohttp-rpc", "aiohttp_rpc_app.py"),
    Peer("fastapi-jsonrpc", "fastapi_jsonrpc_app.py", named_params=True, label="(uvicorn)"),
)


def ensure_venv() -> Path:
    """The peers venv's python, made and installed from the lock if it is missing or stale."""
    python = VENV / "bin" / "python"
    wanted = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if _STAMP.exists() and _STAMP.read_text() == wanted and python.exists():
        return python
    print(f"installing the peers into {VENV} (once) ...", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--require-hashes", "-r", str(LOCK)],
        check=True,
    )
    _STAMP.write_text(wanted)
    return python


def pinned_version(package: str) -> str:
    """The version the lock pins ``package`` at."""
    for line in LOCK.read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower() == package:
            return version.split()[0].rstrip("\\").strip()
    raise LookupError(f"{package} is not in {LOCK}")


def all_variants(python: Path) -> list[variants.Variant]:
    """One server variant per peer, each on the ceiling's event loop."""
    return [
        variants.Variant(
            " ".join(filter(None, (f"{peer.package} {pinned_version(peer.package)}", peer.label))),
            "peer",
            [str(python), str(HERE / peer.app), "--loop", variants.LOOP],
            servers.CEILING_READY,  # like the ceiling, they have only POST /rpc
            named_params=peer.named_params,
        )
        for peer in PEERS
    ]
