"""Host and Origin checks: the defence against DNS rebinding and cross-site calls.

A page on an attacker's domain that resolves to 127.0.0.1 is same-origin with that domain,
so CORS cannot help; the ``Host`` header still names the attacker's domain, so refusing
hosts we do not serve (geth's ``--http.vhosts``) stops it. An ``Origin`` that is neither
our own nor allowed by CORS is refused too; requests without one (curl, scripts) pass.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.transport.cors import CorsPolicy

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_VERDICTS_LIMIT = 1024
_ANY_ADDRESS = {"0.0.0.0", "::", ""}  # noqa: S104 (names, not binds)


class HostPolicy:
    def __init__(self, allowed: Iterable[str], bound_host: str, cors: CorsPolicy) -> None:
        names = {_hostname(name) for name in allowed}
        self.any_host = "*" in names
        if not names:
            names = {*LOCAL_HOSTS, _hostname(bound_host)} - _ANY_ADDRESS
        self.hosts = frozenset(names - {"*"})
        self._cors = cors
        self._verdicts: dict[str, bool] = {}
        """Host headers already judged: a client sends the same one every time."""

    def allows_host(self, host: str | None) -> bool:
        """Whether we serve a request with this ``Host`` header (absent: not a browser)."""
        if self.any_host or host is None:
            return True
        verdict = self._verdicts.get(host)
        if verdict is None:
            verdict = _hostname(host) in self.hosts
            if len(self._verdicts) < _VERDICTS_LIMIT:  # strangers' hosts could be many
                self._verdicts[host] = verdict
        return verdict

    def allows_origin(self, origin: str | None, scheme: str, host: str | None) -> bool:
        """Whether a browser page at ``origin`` may call us: our own pages, or CORS says so."""
        if origin is None or _same_origin(origin, scheme, host):
            return True
        return self._cors.allows(origin)

    def only_by_wildcard(self, origin: str | None, scheme: str, host: str | None) -> bool:
        """Whether ``origin`` is a foreign page that only ``CORS *`` lets in."""
        if origin is None or _same_origin(origin, scheme, host):
            return False
        return origin.lower() not in self._cors.origins


def _same_origin(origin: str, scheme: str, host: str | None) -> bool:
    return host is not None and origin.lower() == f"{scheme}://{host}".lower()


def _hostname(host: str) -> str:
    """``Host`` without its port, lower-cased: ``[::1]:8080`` -> ``::1``; malformed: as is."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        rest = host[end + 1 :]
        if end < 0 or (rest and not (rest[0] == ":" and rest[1:].isdigit())):
            return host
        return host[1:end]
    name, colon, port = host.rpartition(":")
    return name if colon and host.count(":") == 1 and port.isdigit() else host
