"""The server: the app factory, its parts, and the process that runs it.

app.py          ``create_app(settings)``: everything the server is made of, in one place
builtin.py      the built-in namespaces and the backends of their stores
lifecycle.py    the app's stores, opened, drained and closed together
keys.py         the typed ``AppKey``s
run.py          ``serve(settings)``: listen, and shut down gracefully on SIGTERM
healthcheck.py  the Docker image's HEALTHCHECK
"""

from app.server.app import build_api, create_app

__all__ = ["build_api", "create_app"]
