"""One Redis connection pool shared by every Redis backend, and the rules for using it.

Keys: every key of a domain lives under ``{prefix:domain}:``. The braces are a hash tag, so
all of a domain's keys share one Redis Cluster slot and a script may touch any of them.

Operations: each store operation is one Lua script (``Link.script``) run by ``Link.run``, or
one function of a Redis Functions ``Library`` called by ``Link.fcall``, never a read, a
decision in Python, then a write. A script refuses with a domain error by
returning ``redis.error_reply("E:" .. name .. ":" .. cjson.encode(data))``; ``run`` raises
the error class the backend registered under that name. Redis not answering becomes
``StoreUnavailable`` (-32005 with ``data.reason``), never a hang: every command, and every
wait for a pooled connection, ends after ``redis_timeout_s``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import orjson
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.rpc.errors import Overloaded
from app.stores import StartupError

log = logging.getLogger("app.store")

ErrorFactory = Callable[[Any], Exception]
"""Builds the exception a script's refusal stands for, from the refusal's decoded data."""

Arg = str | int | float | bytes

POOL_SIZE = 64
"""Connections per process. Long-polls wait on pub/sub, not on a pooled connection."""

_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

_REFUSING: dict[type[ResponseError], str] = {
    OutOfMemoryError: "is full (maxmemory reached; it never evicts)",
    ReadOnlyError: "is a read-only replica",
}
"""Replies with which a healthy Redis refuses writes for a while: -32005, not a bug."""


class StoreUnreachable(StartupError):
    """The server cannot start: its Redis store does not answer."""


class StoreUnavailable(Overloaded):
    """The Redis store did not answer; the call changed nothing it can know of."""

    message = "Store unavailable"


def redacted(url: str) -> str:
    """``url`` without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else "***@"
    return parts._replace(netloc=user + netloc).geturl()


class Keyspace:
    """Key names of one domain, all under one hash tag."""

    __slots__ = ("prefix",)

    def __init__(self, prefix: str, domain: str) -> None:
        self.prefix = f"{{{prefix}:{domain}}}:"

    def __call__(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)


class Library:
    """A Redis Functions library: loaded once, its functions called by name (``Link.fcall``)."""

    __slots__ = ("source",)

    def __init__(self, name: str, code: str) -> None:
        self.source = f"#!lua name={name}\n{code}"


class Link:
    """The process's pool of Redis connections, opened and closed with the stores."""

    def __init__(self, url: str, prefix: str, timeout_s: float) -> None:
        self.url = url
        self.prefix = prefix
        self.timeout_s = timeout_s
        # A blocking pool: a call past POOL_SIZE waits for a connection, at most timeout_s.
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=POOL_SIZE,
            timeout=timeout_s,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            health_check_interval=30,
            retry=Retry(NoBackoff(), 1),
        )
        self.client: redis.Redis = redis.Redis.from_pool(pool)  # closes the pool with it
        self._reachable = False  # as the last command found it: logs say when it changes

    def keyspace(self, domain: str) -> Keyspace:
        return Keyspace(self.prefix, domain)

    def script(self, source: str) -> AsyncScript:
        """A Lua script, run by its SHA and loaded again if Redis restarted without it."""
        return self.client.register_script(source)

    def script_file(self, package: str, name: str) -> AsyncScript:
        """The script ``<name>.lua`` shipped in ``package``'s ``lua`` folder."""
        return self.script(resources.files(package).joinpath("lua", f"{name}.lua").read_text())

    async def open(self) -> None:
        """Connect before serving; a server that cannot reach its store refuses to start."""
        try:
            await self.client.ping()
        except _UNREACHABLE as error:
            raise StoreUnreachable(
                f"cannot reach the Redis store at {redacted(self.url)}: {error}"
            ) from None
        self._reachable = True
        log.info("store: Redis at %s, keys under %r", redacted(self.url), self.prefix)

    async def close(self) -> None:
        await self.client.aclose()

    async def ping(self) -> bool:
        """Whether Redis answers now (for /readyz)."""
        try:
            await self.client.ping()
        except _UNREACHABLE as error:
            self._lost(error)
            return False
        self._found()
        return True

    async def run(
        self,
        script: AsyncScript,
        keys: Sequence[str] = (),
        args: Sequence[Arg] = (),
        errors: Mapping[str, ErrorFactory] | None = None,
    ) -> Any:
        """Run ``script`` atomically; raise its refusal as the error ``errors`` names."""
        return await self._answer(script(keys=list(keys), args=list(args)), errors)

    async def load(self, library: Library) -> None:
        """Load ``library``, or this version of it again (replacing it is harmless)."""
        await self.command("FUNCTION", "LOAD", "REPLACE", library.source)

    async def fcall(
        self,
        library: Library,
        function: str,
        keys: Sequence[str] = (),
        args: Sequence[Arg] = (),
        errors: Mapping[str, ErrorFactory] | None = None,
    ) -> Any:
        """Call ``library``'s ``function`` atomically, loading the library first if Redis
        lost it (restarted without it); raise its refusal as ``run`` does."""
        return await self._answer(self._fcall(library, function, keys, args), errors)

    async def _fcall(
        self, library: Library, function: str, keys: Sequence[str], args: Sequence[Arg]
    ) -> Any:
        call = ("FCALL", function, len(keys), *keys, *args)
        try:
            return await self._send(*call)
        except ResponseError as error:
            if str(error) != "Function not found":
                raise
        # As EVALSHA's NOSCRIPT: the call ran nothing, so loading and sending it again is safe.
        await self._send("FUNCTION", "LOAD", "REPLACE", library.source)
        return await self._send(*call)

    async def _answer(self, call: Awaitable[Any], errors: Mapping[str, ErrorFactory] | None) -> Any:
        """What ``call`` (a script's) answers, its refusal or Redis not answering as errors."""
        try:
            result = await call
        except ResponseError as error:
            raise self._refused(error, errors or {}) from None
        except _UNREACHABLE as error:
            raise self.unavailable(error) from None
        self._found()
        return result

    def _refused(self, error: ResponseError, errors: Mapping[str, ErrorFactory]) -> Exception:
        """The error a ``ResponseError`` stands for: a script's refusal, Redis refusing
        writes for now, or else a script bug (the engine logs it and answers -32603)."""
        message = str(error)
        if message.startswith("E:"):
            name, _, data = message[2:].partition(":")
            factory = errors.get(name)
            if factory is not None:
                return factory(orjson.loads(data) if data else None)
        why = _REFUSING.get(type(error))
        if why is not None:
            log.warning("Redis store refused a write: %s", message)
            return StoreUnavailable(data={"reason": f"the store (Redis) {why}", "retry_after_s": 1})
        return RuntimeError(f"Redis script failed: {message}")

    async def command(self, *args: Arg) -> Any:
        """One plain Redis command, with the same error handling as ``run``."""
        try:
            result = await self._send(*args)
        except _UNREACHABLE as error:
            raise self.unavailable(error) from None
        self._found()
        return result

    async def _send(self, *args: Arg) -> Any:
        return await self.client.execute_command(*args)  # type: ignore[no-untyped-call]

    def unavailable(self, error: BaseException) -> StoreUnavailable:
        """The error a caller gets while Redis does not answer; the cause goes to the log."""
        self._lost(error)
        return StoreUnavailable(
            data={
                "reason": f"the store (Redis) did not answer within {self.timeout_s:g} s",
                "retry_after_s": 1,
            }
        )

    def _lost(self, error: BaseException) -> None:
        # Once per outage: every call failing in it would flood the log with the same line.
        if self._reachable:
            log.error(
                "lost the Redis store at %s: %s: %s",
                redacted(self.url),
                type(error).__name__,
                error,
            )
        else:
            log.debug("Redis store still unreachable: %s", error)
        self._reachable = False

    def _found(self) -> None:
        if not self._reachable:
            log.info("reached the Redis store at %s", redacted(self.url))
        self._reachable = True
