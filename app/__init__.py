"""rpc-hub: a spec-exact, fast async JSON-RPC 2.0 server."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rpc-hub")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
