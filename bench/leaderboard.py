"""How the game leaderboard's costs grow: update, rank and top-k at up to 100,000 players.

    python -m bench.leaderboard [--players 100000] [--ops 50000] [--seed 1]

Prints one row per size (a tenth and a hundredth of --players too, to show the growth), with
the mean cost of each operation in microseconds, and the cost of answering a top-10 the way
the seed did, by sorting every player on each request, for contrast.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from time import perf_counter

from app.game.leaderboard import Leaderboard


def mean_us(operation: Callable[[int], object], count: int) -> float:
    """Mean microseconds per call of ``operation(i)`` over ``count`` calls, after a warm-up."""
    for i in range(min(count, 100)):
        operation(i)
    started = perf_counter()
    for i in range(count):
        operation(i)
    return (perf_counter() - started) / count * 1e6


def measure(players: int, ops: int, rng: random.Random) -> dict[str, float]:
    board: Leaderboard[int] = Leaderboard()
    scores = [0] * players
    started = perf_counter()
    for player in range(players):
        scores[player] = rng.randint(0, 5000)
        board.set(player, scores[player])
    build_ms = (perf_counter() - started) * 1e3

    movers = [rng.randrange(players) for _ in range(ops)]
    gains = [rng.randint(0, 100) for _ in range(ops)]

    def update(i: int) -> None:
        player = movers[i]
        scores[player] += gains[i]
        board.set(player, scores[player])

    naive_runs = max(1, min(20, 2_000_000 // players))
    return {
        "players": players,
        "build_ms": build_ms,
        "update_us": mean_us(update, ops),
        "rank_us": mean_us(lambda i: board.rank(movers[i]), ops),
        "top10_us": mean_us(lambda i: board.top(10), ops // 10),
        "top100_us": mean_us(lambda i: board.top(100), ops // 10),
        "resort_top10_us": mean_us(
            lambda i: sorted(range(players), key=scores.__getitem__, reverse=True)[:10],
            naive_runs,
        ),
    }


COLUMNS = [
    ("players", "players", "{:>9,.0f}"),
    ("build_ms", "build ms", "{:>9.1f}"),
    ("update_us", "update µs", "{:>9.2f}"),
    ("rank_us", "rank µs", "{:>9.2f}"),
    ("top10_us", "top-10 µs", "{:>9.2f}"),
    ("top100_us", "top-100 µs", "{:>10.2f}"),
    ("resort_top10_us", "re-sort top-10 µs", "{:>17,.0f}"),
]


def render(rows: list[dict[str, float]]) -> str:
    """A plain text table, one row per leaderboard size."""
    header = " | ".join(f"{title:>{len(fmt.format(0))}}" for _, title, fmt in COLUMNS)
    lines = [header, "-" * len(header)]
    lines += [" | ".join(fmt.format(row[key]) for key, _, fmt in COLUMNS) for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.leaderboard", description=__doc__)
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--ops", type=int, default=50_000, help="operations timed per size")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    sizes = sorted({max(1, args.players // 100), max(1, args.players // 10), args.players})
    print(render([measure(size, args.ops, rng) for size in sizes]))


if __name__ == "__main__":
    main()
