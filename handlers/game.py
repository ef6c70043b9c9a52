"""game.*: a multiplayer round with secret player tokens, cooldowns, levels and a leaderboard.

Join to get a `player_id` and a secret `player_token`; every move needs both. The round
starts playing once enough players have joined, and finishes when someone reaches the target
score or its time runs out. Its result stays up for a while, then the next round begins on
its own. Messages, medals and emoji are for display; the state is in
the numbers and the phase. `game.subscribe` tells moves, the top 10 and phase changes as
they happen, on one topic whose history lets a client resume.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.events.models import Since
from app.events.store import EventStore
from app.game import topics
from app.game.errors import (
    BadCredentials,
    CoolingDown,
    NameTaken,
    PlayerNotFound,
    RoundFull,
    WrongPhase,
)
from app.game.models import (
    Action,
    Joined,
    MoveResult,
    PlayerId,
    PlayerName,
    PlayerStatus,
    PlayerToken,
    RoundState,
    Standing,
)
from app.game.store import GameStore
from app.rpc.context import CallContext
from app.rpc.namespace import Method, Namespace
from app.rpc.subscriptions import Subscribed
from app.rpc.unsubscribe import unsubscribe_method
from handlers.examples import game as examples


async def join(game: GameStore, events: EventStore, ctx: CallContext, name: PlayerName) -> Joined:
    """Join the current round under a name, and get your secret player token.

    The token is shown only this once: send it with every move. The round starts playing once
    enough players have joined; players may also join while it plays. While a finished
    round's result is up, a join is refused with `retry_after_s`: the wait for the next one.
    A caller with its most players in the round (all anonymous callers count as one) gets
    -32006 with `resource`, `limit` and `held`, until the next round.
    """
    joined = await game.join(ctx.principal, name)
    # One more store call per join (joins are rare): Joined does not say how many play. On a
    # shared store another join may come between, and this phase then goes untold.
    state = await game.state()
    if state.round == joined.round and topics.opened_or_started(state):
        await events.publish(topics.TOPIC, topics.phase(state))
    return joined


async def move(
    game: GameStore,
    events: EventStore,
    player_id: PlayerId,
    player_token: PlayerToken,
    action: Action,
) -> MoveResult:
    """Make a move: attack (10-50 points), defend (5-20) or special (50-100, half the time).

    Needs the player's token and a round that is playing; each player may move once per
    cooldown. A level comes every 100 points, and reaching the target score wins the round.
    """
    moved = await game.move(player_id, player_token, action)
    await _tell_move(game, events, player_id, moved)
    return moved


async def _tell_move(
    game: GameStore, events: EventStore, player_id: str, moved: MoveResult
) -> None:
    """Publish the move, then the top 10 if it changed, then the round's end if it won.

    Store calls beyond the move: one (`status`: a move's answer names no player), one
    more when the top changed (`leaderboard`), and, once a round, one for the win (`state`).
    """
    try:
        status: PlayerStatus | None = await game.status(player_id)
    except PlayerNotFound:
        status = None  # the round this move won is over already (game_results_s 0)
    await events.publish(topics.TOPIC, topics.move(topics.player(player_id, status), moved))
    if topics.changes_top(moved):
        top = await game.leaderboard(topics.TOP)
        await events.publish(topics.TOPIC, topics.leaderboard(top))
    if moved.won:
        await events.publish(topics.TOPIC, topics.phase(await game.state()))


async def status(game: GameStore, player_id: PlayerId) -> PlayerStatus:
    """A player's name, score, level, emoji and rank in the current round."""
    return await game.status(player_id)


async def leaderboard(
    game: GameStore,
    limit: Annotated[int, Field(ge=1, le=100, description="How many players, best first.")] = 5,
) -> list[Standing]:
    """The round's top players, best first, with medals for the top five."""
    return await game.leaderboard(limit)


async def state(game: GameStore) -> RoundState:
    """The round's phase, player count, time left, and how it ended."""
    return await game.state()


async def new_round(game: GameStore, events: EventStore) -> RoundState:
    """Start a new round at once, dropping every player (scope `game:admin`).

    Not needed for play: a finished round gives way to the next on its own.
    """
    state = await game.new_round()
    await events.publish(topics.TOPIC, topics.phase(state))
    return state


async def subscribe(
    events: EventStore,
    ctx: CallContext,
    since: Since = None,
) -> Subscribed:
    """Be told of the game as it is played: moves, the top 10 as it changes, and phases.

    Each notification's `result` has a `kind`. `move`: `player` (`player_id`,
    `name`, `emoji`), `action`, `points`, `score` (the new one), `level`,
    `leveled_up`, `rank` and `won`, as game.move answers them. `leaderboard`:
    `top`, the best 10 as game.leaderboard lists them, after each move that changed them.
    `phase`: the round as game.state shows it, when a call sees it change: a new round,
    the join that opened a round or started its play, the move that won it (a round that
    runs out of time is not told as it ends, since no call sees it then, but the next
    round's first join is). Needs a WebSocket or `Accept: text/event-stream`.
    """
    async with ctx.subscription("game") as subscription:
        replay = await subscription.follow(events, topics.TOPIC, since)
        return subscription.subscribed(replay)


namespace = Namespace(
    "game",
    [
        # Sensitive: its answer holds the player's token, which the console must not keep.
        Method(
            join,
            redact_values=True,
            errors=[NameTaken, RoundFull, WrongPhase],
            examples=examples.JOIN,
        ),
        Method(move, errors=[BadCredentials, WrongPhase, CoolingDown], examples=examples.MOVE),
        Method(status, idempotent=True, errors=[PlayerNotFound], examples=examples.STATUS),
        Method(leaderboard, idempotent=True, examples=examples.LEADERBOARD),
        Method(state, idempotent=True, examples=examples.STATE),
        Method(new_round, scope="game:admin", examples=examples.NEW_ROUND),
        Method(subscribe, examples=examples.SUBSCRIBE),
        unsubscribe_method("game"),
    ],
)
