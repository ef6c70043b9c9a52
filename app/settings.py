"""Typed settings: one frozen dataclass, filled from flags, then ``RPC_*`` variables, then defaults.

Each field declares its help text once; the command-line flags, the environment variable
names and docs/settings.md's table are all derived from it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, TypeAdapter

ENV_PREFIX = "RPC_"


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


def _status(value: Any) -> Any:
    # Literal[200, 204] takes no strings; an environment variable is always one.
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


StrList = Annotated[tuple[str, ...], BeforeValidator(_split_list)]
LogLevel = Literal["debug", "info", "warning", "error"]


def setting(default: Any, help: str) -> Any:
    """A settings field with its help text (shown by ``--help`` and in docs/settings.md)."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, slots=True)
class Settings:
    # Listening
    host: str = setting("127.0.0.1", "Interface to listen on. The Docker image sets 0.0.0.0.")
    port: Annotated[int, Field(ge=0, le=65535)] = setting(8080, "TCP port (0 picks a free one).")

    # Store
    store: Annotated[str, Field(pattern=r"^(memory|rediss?://.+)$")] = setting(
        "memory",
        "Where state lives: memory (this process only), or redis://[user:password@]host:port/db "
        "(rediss:// for TLS), shared by replicas and kept across restarts.",
    )
    redis_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] = setting(
        "rpc-hub", "Prefix of every Redis key, so that two deployments can share one Redis."
    )
    redis_timeout_s: Annotated[float, Field(gt=0, le=60, allow_inf_nan=False)] = setting(
        2.0, "Seconds to wait for Redis before a call gets -32005 and /readyz turns 503."
    )
    processes: Annotated[int, Field(ge=1, le=256)] = setting(
        1, "Server processes sharing the port (reuse_port); more than 1 needs the Redis store."
    )

    loop: Literal["auto", "uvloop", "asyncio"] = setting(
        "auto",
        "Event loop: uvloop where it is installed (auto; 5-15% less CPU per call in the "
        "bench), or asyncio's own; uvloop where it is missing is a start-up error.",
    )

    # Logging
    log_format: Literal["text", "json"] = setting("text", "Log line format.")
    log_level: LogLevel = setting("info", "Lowest level logged.")
    call_log: bool = setting(
        True, "Log one line per call: request id, principal, method, duration, outcome."
    )
    log_params: bool = setting(
        False,
        "Add each call's params to its call log line (never results); methods marked "
        "x-sensitive, and unknown method names, show [redacted].",
    )

    # Browsers
    cors_origins: StrList = setting(
        (), "Origins allowed to call from a browser: a comma-separated list, or *."
    )

    # Limits
    max_body_bytes: Annotated[int, Field(ge=1024)] = setting(
        1024 * 1024, "Largest request body, in bytes; larger ones get HTTP 413."
    )
    max_batch: Annotated[int, Field(ge=1)] = setting(100, "Most requests in one batch.")
    notification_status: Annotated[Literal[200, 204], BeforeValidator(_status)] = setting(
        204,
        "HTTP status of a reply with no body (notifications only): 200 for clients that "
        "cannot take 204, such as jsonrpclib-pelix.",
    )
    max_depth: Annotated[int, Field(ge=2, le=1000)] = setting(
        32, "Deepest nesting of a call's params, counting the request object as 1."
    )
    call_timeout_s: Annotated[float, Field(gt=0)] = setting(
        10.0, "Seconds a call may run before it is cancelled and answered with -32004."
    )
    batch_concurrency: Annotated[int, Field(ge=1)] = setting(
        16, "Most items of one batch waiting on I/O at the same time."
    )
    rate_limit: Annotated[float, Field(ge=0, allow_inf_nan=False)] = setting(
        1000.0,
        "Calls per second one key (or, without a key, one client address) may sustain; "
        "every batch item counts, at its method's cost. Past it: -32003. 0: no limit.",
    )
    rate_burst: Annotated[int, Field(ge=1)] = setting(
        2000, "Calls one caller may make at once, on top of the rate, after a pause."
    )
    max_inflight: Annotated[int, Field(ge=1)] = setting(
        512,
        "Most requests being served at once (each worker's long-poll is one); more get HTTP "
        "503 and -32005 at once.",
    )

    # Connections
    keepalive_s: Annotated[float, Field(gt=0, le=3600, allow_inf_nan=False)] = setting(
        75.0, "Seconds an idle keep-alive connection stays open (nginx's default)."
    )
    read_timeout_s: Annotated[float, Field(gt=0, le=3600, allow_inf_nan=False)] = setting(
        15.0,
        "Seconds a client has to send a request's headers, and again its body; "
        "past it the connection closes (HTTP 408).",
    )
    max_connections: Annotated[int, Field(ge=1)] = setting(
        10_000,
        "Most open connections; a new one past it is closed at once. Kept below the "
        "open-files limit, which the server raises to its hard maximum at start.",
    )

    # Live updates
    max_streams: Annotated[int, Field(ge=1)] = setting(
        1000,
        "Most WebSocket sessions and event streams open at once; more are refused with HTTP 503.",
    )
    max_subscriptions: Annotated[int, Field(ge=1, le=100_000)] = setting(
        1024, "Most subscriptions one WebSocket session holds; more get -32006."
    )
    max_queued_bytes: Annotated[int, Field(ge=4096)] = setting(
        1024 * 1024,
        "Bytes of notifications queued for one slow client before it is cut off "
        "(WebSocket close 1013; it may resume).",
    )
    events_history: Annotated[int, Field(ge=0, le=100_000)] = setting(
        200, "Events each topic keeps for clients resuming after a gap (and chat history)."
    )

    # Operations
    metrics: bool = setting(
        True, "Count calls, refusals and live sessions, and serve them at GET /metrics."
    )
    metrics_port: Annotated[int | None, Field(ge=0, le=65535)] = setting(
        None,
        "Also serve GET /metrics on this port alone (with --processes N, process i on "
        "this port + i). Unset: only on the main port.",
    )

    # Shutdown
    shutdown_timeout_s: Annotated[float, Field(ge=0)] = setting(
        8.0, "Seconds in-flight calls get to finish after SIGTERM (Docker allows 10)."
    )
    drain_delay_s: Annotated[float, Field(ge=0)] = setting(
        0.0, "Seconds /readyz reports 503 before the listener closes, for load balancers."
    )

    # Extension
    demo: bool = setting(
        False,
        "Seed the carts, orders, players, tasks and workers that OpenRPC's examples name, so "
        "every example runs as written. For trying the API; not for production.",
    )
    plugins: StrList = setting(
        (), "Extra namespaces to serve, as comma-separated module:attribute references."
    )

    # Identity
    keys_file: str | None = setting(
        None, "File of hashed API keys (rpc-hub keys new); reloaded on SIGHUP. Unset: no keys."
    )
    anonymous_scopes: StrList | None = setting(
        None,
        "Scopes a call without a key holds, comma-separated; empty: none. Unset: every "
        "scope but the admin ones on a loopback address, none on any other.",
    )
    admin_token: str | None = setting(
        None, "A bearer token that holds the admin scope, beside the keys file. Unset: none."
    )
    auth_failure_delay_s: Annotated[float, Field(ge=0, le=10)] = setting(
        0.25, "Seconds a request with a wrong key waits for its answer, to slow guessing."
    )
    allowed_hosts: StrList = setting(
        (),
        "Host headers served (geth's vhosts), comma-separated, or *. Unset: localhost, "
        "127.0.0.1, [::1] and the address bound.",
    )

    # Game
    game_min_players: Annotated[int, Field(ge=2)] = setting(
        2, "Players needed before a game round starts playing."
    )
    game_max_players: Annotated[int, Field(ge=2, le=100_000)] = setting(
        1000, "Most players in one game round; later joins are refused."
    )
    game_max_seats_per_owner: Annotated[int, Field(ge=1, le=100_000)] = setting(
        100,
        "Most players one caller (a key; all anonymous callers count as one) has in a game "
        "round; more game.join gets -32006.",
    )
    game_target_score: Annotated[int, Field(ge=1)] = setting(
        1000, "Score that wins a game round and finishes it."
    )
    game_round_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = setting(
        300.0, "Seconds a game round plays before it finishes on time."
    )
    game_cooldown_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] = setting(
        1.0, "Seconds a player must wait between two moves."
    )
    game_results_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] = setting(
        30.0, "Seconds a finished game round's result stays up before the next round begins."
    )
    game_seed: int | None = setting(
        None, "Seed for the game's points, for reproducible rounds. Unset: OS randomness."
    )

    # Chat
    chat_max_rooms: Annotated[int, Field(ge=1)] = setting(
        1000, "Most chat rooms at once; a join that would open one more gets -32005."
    )
    chat_max_members: Annotated[int, Field(ge=1, le=100_000)] = setting(
        100, "Most members in one chat room; later joins are refused."
    )
    chat_presence_ttl_s: Annotated[float, Field(ge=5, le=3600, allow_inf_nan=False)] = setting(
        60.0,
        "Seconds a chat member stays present without being heard from (a message, or its "
        "WebSocket session's own refresh); then it leaves the room.",
    )

    # Shop (cart.*)
    cart_catalog: str | None = setting(
        None, "JSON file of products to sell (format in docs/cart.md). Unset: the built-in catalog."
    )
    # Bounded: an expiry must be a real date (inf or 1e300 would make every cart view fail).
    cart_ttl_s: Annotated[float, Field(gt=0, le=366 * 86400, allow_inf_nan=False)] = setting(
        86400.0, "Seconds an unused cart lives before it is discarded."
    )
    cart_max_carts: Annotated[int, Field(ge=1)] = setting(
        100000, "Most carts held at once; cart.create beyond it gets -32005."
    )
    cart_max_carts_per_owner: Annotated[int, Field(ge=1)] = setting(
        1000,
        "Most carts one caller (a key; all anonymous callers count as one) holds at once, "
        "checked-out ones too until they expire; more cart.create gets -32006.",
    )
    cart_max_lines: Annotated[int, Field(ge=1, le=10000)] = setting(
        100, "Most different products in one cart."
    )

    # Weather
    weather_provider: Literal["offline", "open-meteo"] = setting(
        "offline", "Where weather.* readings come from: the offline climate model, or Open-Meteo."
    )
    weather_url: Annotated[str, Field(pattern=r"^https?://")] = setting(
        "https://api.open-meteo.com/v1/forecast", "Open-Meteo forecast endpoint (open-meteo only)."
    )
    # Finite: aiohttp cannot schedule an infinite timeout (OverflowError on every request).
    weather_timeout_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = setting(
        3.0, "Seconds to wait for Open-Meteo before answering from the offline model instead."
    )
    weather_cache_ttl_s: Annotated[float, Field(ge=0)] = setting(
        600.0, "Seconds an Open-Meteo answer for a city is reused (0: ask every time)."
    )

    # Tasks
    task_lease_ttl_s: Annotated[float, Field(gt=0)] = setting(
        30.0, "Seconds a task's lease lasts unless its worker renews it with a heartbeat."
    )
    worker_heartbeat_s: Annotated[float, Field(gt=0)] = setting(
        10.0, "Seconds between worker heartbeats; after 3 missed, a worker's leases are revoked."
    )
    task_timeout_s: Annotated[float, Field(gt=0)] = setting(
        300.0, "Default longest run of one attempt; no lease outlives it."
    )
    task_retry_base_s: Annotated[float, Field(ge=0)] = setting(
        1.0, "Delay before a task's first retry; it doubles per retry, with jitter."
    )
    task_retry_max_s: Annotated[float, Field(ge=0)] = setting(
        300.0, "Longest delay between retries."
    )
    task_result_ttl_s: Annotated[float, Field(gt=0)] = setting(
        3600.0, "Default seconds a finished task and its result are kept."
    )
    task_max_tasks: Annotated[int, Field(ge=1)] = setting(
        100_000, "Most tasks held at once, finished ones included; more submits get 5007."
    )
    task_max_payload_bytes: Annotated[int, Field(ge=64)] = setting(
        65_536,
        "Largest task payload, result or error, in bytes of JSON; larger ones get -32602.",
    )
    task_max_bytes: Annotated[int, Field(ge=1024 * 1024)] = setting(
        128 * 1024 * 1024,
        "Bytes of JSON all stored tasks' payloads, results and errors may take (each "
        "dependency counts 128). Submits get -32005 once 3/4 of it is used (the rest is kept "
        "for results); a result or error that does not fit gets -32005, its task still running.",
    )
    task_max_tasks_per_owner: Annotated[int, Field(ge=1)] = setting(
        10_000,
        "Most tasks one caller (a key; all anonymous callers count as one) holds at once, "
        "finished ones too until they expire; more submits get -32006.",
    )
    task_max_bytes_per_owner: Annotated[int, Field(ge=65_536)] = setting(
        32 * 1024 * 1024,
        "Bytes of JSON (payloads, results, errors) one caller's stored tasks may take; a "
        "submit past it gets -32006.",
    )
    task_pending_ttl_s: Annotated[float, Field(gt=0, le=366 * 86400, allow_inf_nan=False)] = (
        setting(
            7 * 86400.0,
            "Seconds a task may wait to run, from its submit: one still blocked, scheduled or "
            "pending then ends dead (reason pending_ttl). A later delay_s or run_at gets -32602.",
        )
    )
    task_attempts_kept: Annotated[int, Field(ge=1, le=1000)] = setting(
        5,
        "Newest attempts a task view lists; older ones are dropped (attempt still counts all).",
    )
    task_cache_max_entries: Annotated[int, Field(ge=1)] = setting(
        10_000,
        "Most results in the result cache (cache_ttl_s); the oldest are forgotten first, so "
        "a later submit runs instead of being answered from the cache.",
    )
    task_cache_max_bytes: Annotated[int, Field(ge=65_536)] = setting(
        32 * 1024 * 1024,
        "Bytes of JSON the result cache's results may take; the oldest are forgotten first.",
    )
    worker_max_workers: Annotated[int, Field(ge=1)] = setting(
        1000,
        "Most workers registered at once; past it the oldest offline worker is forgotten, "
        "or, with none, workers.register gets -32005.",
    )
    worker_max_workers_per_owner: Annotated[int, Field(ge=1)] = setting(
        100,
        "Most workers one caller (a key; all anonymous callers count as one) registers; past "
        "it its oldest offline worker is forgotten, or, with none, workers.register gets -32006.",
    )


_ADAPTER = TypeAdapter(Settings)
_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_HINTS = typing.get_type_hints(Settings, include_extras=True)


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add a flag for every setting; unset flags fall back to the environment, then defaults."""
    for name, spec in _FIELDS.items():
        hint = _base_type(_HINTS[name])
        text = f"{spec.metadata['help']} [{env_name(name)}, default: {_show(spec.default)}]"
        kwargs: dict[str, Any] = {"dest": name, "default": None, "help": text}
        if hint is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif typing.get_origin(hint) is Literal:
            kwargs["choices"] = typing.get_args(hint)
        parser.add_argument(flag_name(name), **kwargs)


def load(
    args: argparse.Namespace | None = None, environ: Mapping[str, str] = os.environ
) -> Settings:
    """Settings from flags, then the environment, then defaults; raise ValueError if invalid."""
    raw: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(args, name, None) if args is not None else None
        if value is None:
            value = environ.get(env_name(name))
        if value is not None:
            raw[name] = value
    return _ADAPTER.validate_python(raw)


def table() -> list[tuple[str, str, str, str]]:
    """(flag, environment variable, default, help) for each setting, for docs/settings.md."""
    return [
        (flag_name(name), env_name(name), _show(spec.default), spec.metadata["help"])
        for name, spec in _FIELDS.items()
    ]


def _base_type(hint: Any) -> Any:
    return typing.get_args(hint)[0] if typing.get_origin(hint) is Annotated else hint


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(value) or "(none)"
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "(none)"
    return str(value)
