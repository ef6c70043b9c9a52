"""From a request's ``Authorization`` header to the principal that makes its calls.

``Authorization: Bearer <key>`` names a key of the keys file (or the admin token); no
header means the anonymous principal, whose scopes depend on where the server listens. A
wrong, revoked or expired key is answered after a delay, and an address that keeps trying
is throttled, so keys cannot be guessed at speed (bitcoind's rpcauth does the same).
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from time import monotonic, time

from aiohttp import hdrs

from app.auth import keyfile
from app.auth.keys import digest, key_id_of
from app.limits.gcra import Gcra
from app.rpc.access import ADMIN, Principal
from app.rpc.errors import RateLimited, Unauthorized
from app.settings import Settings

log = logging.getLogger("app.auth")

_VERIFIED_LIMIT = 10_000
_NO_KEY = Unauthorized(data={"reason": "this call needs a key: send Authorization: Bearer <key>"})


@dataclass(frozen=True, slots=True)
class Resolved:
    principal: Principal
    failed: bool = False
    """A credential was checked and refused: answer only after a delay, to slow guessing."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def anonymous_scopes(settings: Settings, declared: Iterable[str]) -> frozenset[str]:
    """What a call without a key may do: the setting, else a default safe for the bind."""
    if settings.anonymous_scopes is not None:
        return frozenset(settings.anonymous_scopes)
    if not is_loopback(settings.host):
        return frozenset()
    return frozenset(s for s in declared if s != ADMIN and not s.endswith(":admin"))


class Credentials:
    """Resolves principals from the keys file, reloaded by ``reload()`` (on SIGHUP)."""

    def __init__(self, settings: Settings, declared_scopes: Iterable[str]) -> None:
        self._path = settings.keys_file
        self.delay_s = settings.auth_failure_delay_s
        self.anonymous = Principal(
            "anonymous", "anonymous", anonymous_scopes(settings, declared_scopes), _NO_KEY
        )
        self._cross_site = Principal("anonymous", "anonymous", frozenset(), _NO_KEY)
        token = settings.admin_token
        if token and len(token) < 32:  # unlike keys, it may be short enough to guess
            log.warning("RPC_ADMIN_TOKEN is %d characters: use 32 or more", len(token))
        self._admin_digest = digest(token).encode() if token else None
        self._admin = Principal("admin-token", "admin token", frozenset({ADMIN}))
        # Ten wrong keys at once per address, then one every 6 s; the same GCRA as the
        # rate limits, in a table of its own.
        self._failures = Gcra(rate=1 / 6, burst=10, max_keys=10_000)
        self._entries: dict[str, keyfile.KeyEntry] = {}
        self._principals: dict[str, Principal] = {}
        self._expiry: dict[str, float | None] = {}
        """Each key's expiry, by its principal's id."""
        self._verified: dict[str, tuple[Resolved, float | None]] = {}
        """Authorization headers already checked, with their key's expiry: a repeat costs a dict
        lookup, not a parse and a hash. Emptied by `reload()`, so a revoked key stops at once."""
        self._anonymous = Resolved(self.anonymous)
        self._anonymous_cross_site = Resolved(self._cross_site)
        self.reload()

    def reload(self) -> None:
        """Read the keys file again; on error keep the keys already loaded."""
        if self._path is None:
            return
        try:
            entries = keyfile.load(self._path)
        except keyfile.KeyFileError as exc:
            log.error("keys not reloaded: %s", exc)
            return
        self._entries = entries
        self._verified = {}
        self._principals = {
            key_id: Principal(f"key:{key_id}", entry.name, frozenset(entry.scopes))
            for key_id, entry in entries.items()
        }
        self._expiry = {f"key:{key_id}": entry.expires_at for key_id, entry in entries.items()}
        log.info("%d keys loaded from %s", len(entries), self._path)

    def resolve(
        self, headers: Mapping[str, str], address: str | None, *, cross_site: bool = False
    ) -> Resolved:
        """The principal of a request with these headers, from this client address.

        ``cross_site``: a page of another origin sends it, allowed only by ``CORS *``; such a
        call without a key holds no scopes, so ``*`` never opens the anonymous ones to the web.
        """
        header = headers.get(hdrs.AUTHORIZATION)
        if header is None:
            return self._anonymous_cross_site if cross_site else self._anonymous
        verified = self._verified.get(header)
        if verified is not None and (verified[1] is None or time() < verified[1]):
            return verified[0]
        scheme, _, key = header.partition(" ")
        key = key.strip()
        group = _address_group(address)
        wait = self._failures.retry_after(group, monotonic())
        if scheme.lower() != "bearer" or not key:
            reason = "send the key as Authorization: Bearer <key>"
            principal = _refused(Unauthorized(data={"reason": reason}))
        else:
            # A throttled address may still use a real key (240 bits cannot be guessed);
            # only the admin token, which can be short, is not even compared meanwhile.
            principal = self._check(key, admin=not wait)
            if principal.refusal is None:
                return self._verify(header, principal)
        if wait:
            limited = RateLimited(
                data={"reason": "too many wrong keys from this address", "retry_after_s": wait}
            )
            # No key was looked at, so there is nothing to slow: answer at once.
            return Resolved(_refused(limited))
        return self._failure(group, principal)

    def rate_key(self, principal: Principal, address: str | None) -> str:
        """Whom a request's calls are charged to: its key, or without one its client address
        (so strangers without keys do not share, nor drain, one allowance)."""
        if principal is self.anonymous or principal.refusal is not None:
            return _address_key(address)
        return principal.id

    def _failure(self, group: str, principal: Principal) -> Resolved:
        self._failures.charge(group, (1,), monotonic())
        return Resolved(principal, failed=True)

    def _verify(self, header: str, principal: Principal) -> Resolved:
        """Remember a key-file key's header until the key expires (the admin token is compared
        each time: a throttled address may not use it)."""
        resolved = Resolved(principal)
        if principal is self._admin:
            return resolved
        if len(self._verified) >= _VERIFIED_LIMIT:
            self._verified.clear()
        self._verified[header] = (resolved, self._expiry[principal.id])
        return resolved

    def _check(self, key: str, *, admin: bool) -> Principal:
        if (
            admin
            and self._admin_digest is not None
            and hmac.compare_digest(digest(key).encode(), self._admin_digest)
        ):
            return self._admin
        key_id = key_id_of(key)
        entry = self._entries.get(key_id) if key_id else None
        if entry is None or not hmac.compare_digest(digest(key), entry.sha256):
            return _refused(Unauthorized(data={"reason": "unknown key"}))
        if entry.revoked:
            return _refused(Unauthorized(data={"reason": "the key was revoked"}))
        if not entry.live(time()):
            return _refused(Unauthorized(data={"reason": "the key has expired"}))
        return self._principals[entry.id]


@functools.lru_cache(maxsize=4096)  # parsing an address costs more than the whole key check
def _address_group(address: str | None) -> str:
    """Who is throttled together: one IPv4 address, or one IPv6 /64 (a host's usual share)."""
    if not address:
        return "-"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return address


@functools.lru_cache(maxsize=4096)
def _address_key(address: str | None) -> str:
    """The rate-limit key of keyless calls from ``address`` (made once, not per request)."""
    return "address:" + _address_group(address)


def _refused(error: Unauthorized | RateLimited) -> Principal:
    return Principal("refused", "refused", frozenset(), error)
