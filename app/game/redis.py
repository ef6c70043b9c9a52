"""The Redis game store: the current round, shared by every replica and kept across restarts.

Each operation is one Lua script, ``lua/<operation>.lua`` after ``lua/round.lua``, which
finds the round in play the way ``MemoryGameStore`` does (finished on time past its deadline,
replaced by the next one once its result has been up for ``game_results_s``), so its checks
and changes are atomic in Redis, on ``now`` from the store's clock. Python does what needs
no state: it checks the name, draws the id, token, avatar and points, and builds the answer
from the script's numbers with the same rules and messages as memory.

One store runs its operations one at a time, in the order they were called, as memory does:
of moves sent at once, the first called goes first (the pool alone would not promise it).
With ``game_seed`` each store has its own seeded generator, rewound when a script refuses,
so a store draws exactly what memory would; replicas each draw their own sequence.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from importlib import resources
from typing import Any

import orjson

from app.game.messages import medal, move_message, welcome
from app.game.metrics import samples
from app.game.models import (
    Action,
    FinishReason,
    Joined,
    MoveResult,
    Phase,
    PlayerStatus,
    RoundState,
    Standing,
    Winner,
)
from app.game.players import digest, new_player_id, new_token
from app.game.redis_refusals import join_refusals, move_refusals, status_refusals
from app.game.round import AVATARS, Rules
from app.game.rules import level, roll
from app.names import check_name, name_key
from app.redis_link import ErrorFactory
from app.rpc.access import Principal
from app.stores import Backend, Sample, StoreContext

KEYS = ("meta", "players", "digests", "names", "seats", "board", "members", "moves")
"""The round's keys, in the order every script takes them (described in lua/round.lua)."""

OPERATIONS = ("join", "move", "status", "leaderboard", "state", "new_round", "measure")

Arg = str | int | float | bytes
"""One script argument, as redis-py sends it (floats by repr, which Lua reads back exactly)."""


def _lua(name: str) -> str:
    """The text of ``lua/<name>.lua``, read from the installed package."""
    return resources.files(__package__ or "app.game").joinpath("lua", f"{name}.lua").read_text()


def _utf8(text: str) -> bytes:
    """``text`` as Redis takes it; a lone surrogate is just an unknown id, not a crash."""
    return text.encode("utf-8", "surrogatepass")


class RedisGameStore(Backend):
    """The current round in Redis, and this store's generator for avatars and points."""

    def __init__(self, context: StoreContext) -> None:
        settings = context.settings
        self._clock = context.clock
        self._ids = context.ids
        self._rules = rules = Rules.from_settings(settings)
        # Points are not secrets, and a seed makes rounds reproducible; None seeds from the OS.
        self._rng = random.Random(settings.game_seed)  # noqa: S311
        # A seeded round is reproducible only if operations reach Redis in the order called
        # (the pool may reorder them): then each takes its turn, FIFO. Unseeded, none waits.
        self._turn: AbstractAsyncContextManager[object] = (
            asyncio.Lock() if settings.game_seed is not None else nullcontext()
        )
        self._link = context.link()
        keyspace = self._link.keyspace("game")
        self._keys = [keyspace(name) for name in KEYS]
        self._rule_args: list[Arg] = [
            rules.min_players,
            rules.max_players,
            rules.max_seats_per_owner,
            rules.target_score,
            rules.round_s,
            rules.cooldown_s,
            rules.results_s,
        ]
        shared = _lua("round")
        self._sources = {name: shared + _lua(name) for name in OPERATIONS}
        self._scripts = {name: self._link.script(text) for name, text in self._sources.items()}
        self._move_refusals = move_refusals(rules)

    async def open(self) -> None:
        """Load the scripts now, so that each operation is one round trip from the first."""
        for text in self._sources.values():
            await self._link.command("SCRIPT", "LOAD", text)

    async def join(self, caller: Principal, name: str) -> Joined:
        """Add a player named ``name``, of ``caller``'s, to the round; the answer holds its
        one-time token."""
        check_name(name)
        player_id, token = new_player_id(self._ids), new_token(self._ids)
        async with self._drawing() as rng:
            emoji = rng.choice(AVATARS)
            record = orjson.dumps({"name": name, "emoji": emoji, "owner": caller.id})
            args: list[Arg] = [player_id, name_key(name), caller.id, digest(token).hex(), record]
            reply = await self._call("join", args, join_refusals(self._rules, name))
        number, phase, players = int(reply[0]), Phase(reply[1].decode()), int(reply[2])
        needed = max(0, self._rules.min_players - players)
        return Joined(
            player_id=player_id,
            player_token=token,
            name=name,
            emoji=emoji,
            round=number,
            phase=phase,
            message=welcome(name, emoji, phase, needed),
        )

    async def move(self, player_id: str, token: str, action: Action) -> MoveResult:
        """Play ``action`` for the player, if ``token`` is theirs and the rules allow it."""
        async with self._drawing() as rng:
            points = roll(rng, action)
            args: list[Arg] = [_utf8(player_id), digest(token).hex(), points]
            reply = await self._call("move", args, self._move_refusals)
        score, rank, won = int(reply[0]), int(reply[1]), bool(reply[2])
        before, after = level(score - points), level(score)
        return MoveResult(
            action=action,
            points=points,
            score=score,
            level=after,
            leveled_up=after > before,
            rank=rank,
            won=won,
            message=move_message(
                action, points=points, score=score, level=after, leveled_up=after > before, won=won
            ),
        )

    async def status(self, player_id: str) -> PlayerStatus:
        """One player of the round, with its rank."""
        async with self._turn:
            reply = await self._call("status", [_utf8(player_id)], status_refusals(player_id))
        record, score = orjson.loads(reply[0]), int(reply[1])
        return PlayerStatus(
            player_id=player_id,
            name=record["name"],
            emoji=record["emoji"],
            score=score,
            level=level(score),
            rank=int(reply[2]),
        )

    async def leaderboard(self, limit: int) -> list[Standing]:
        """The best ``limit`` players, best first."""
        async with self._turn:
            reply = await self._call("leaderboard", [limit])
        standings = []
        for rank, (raw, score) in enumerate(zip(reply[::2], reply[1::2], strict=True), start=1):
            record = orjson.loads(raw)
            name, emoji = record["name"], record["emoji"]
            standings.append(
                Standing(
                    rank=rank,
                    medal=medal(rank),
                    name=name,
                    emoji=emoji,
                    score=score,
                    level=level(score),
                )
            )
        return standings

    async def state(self) -> RoundState:
        """The round's phase, player count, rules, time left and outcome."""
        async with self._turn:
            return self._state(await self._call("state"))

    async def new_round(self) -> RoundState:
        """Replace the round with a fresh one, in ``waiting``, with no players."""
        async with self._turn:
            return self._state(await self._call("new_round"))

    async def measure(self) -> list[Sample]:
        """Players in the round in play, and rounds begun: as Redis numbers them, for all
        replicas and across restarts."""
        async with self._turn:
            number, players = await self._call("measure")
        return samples(int(players), int(number), "numbered in Redis, shared by every replica")

    @asynccontextmanager
    async def _drawing(self) -> AsyncIterator[random.Random]:
        """This store's turn (if seeded) and its generator, rewound if the operation fails:
        memory draws only for what it accepts, so a seed gives the same avatars and points."""
        async with self._turn:
            drawn = self._rng.getstate()
            try:
                yield self._rng
            except BaseException:
                self._rng.setstate(drawn)
                raise

    async def _call(
        self,
        operation: str,
        args: Sequence[Arg] = (),
        errors: Mapping[str, ErrorFactory] | None = None,
    ) -> Any:
        """Run ``operation``'s script on the clock's now; the caller holds its turn."""
        now = self._clock.time()
        return await self._link.run(
            self._scripts[operation], self._keys, [now, *self._rule_args, *args], errors
        )

    def _state(self, reply: Any) -> RoundState:
        """The RoundState of a script's describe() answer."""
        number, phase, players, time_left, reason, winner, score = reply
        rules = self._rules
        return RoundState(
            round=int(number),
            phase=Phase(phase.decode()),
            players=int(players),
            min_players=rules.min_players,
            max_players=rules.max_players,
            target_score=rules.target_score,
            round_s=rules.round_s,
            time_left_s=float(time_left) if time_left else None,
            cooldown_s=rules.cooldown_s,
            finish_reason=FinishReason(reason.decode()) if reason else None,
            winner=_winner(orjson.loads(winner), int(score)) if winner else None,
        )


def _winner(record: dict[str, str], score: int) -> Winner:
    return Winner(name=record["name"], emoji=record["emoji"], score=score, level=level(score))
