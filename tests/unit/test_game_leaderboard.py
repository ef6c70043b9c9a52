"""The leaderboard agrees with a naive sort, whatever order the updates come in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.game.leaderboard import Leaderboard, Place


class NaiveBoard:
    """The obvious model: remember when each score was reached, sort on every question."""

    def __init__(self) -> None:
        self.scores: dict[str, int] = {}
        self.reached: dict[str, int] = {}
        self.clock = 0

    def set(self, player: str, score: int) -> None:
        if self.scores.get(player) != score:
            self.scores[player] = score
            self.reached[player] = self.clock
            self.clock += 1

    def order(self) -> list[str]:
        return sorted(self.scores, key=lambda p: (-self.scores[p], self.reached[p]))


def test_higher_scores_rank_first_and_ties_go_to_who_got_there_first() -> None:
    board: Leaderboard[str] = Leaderboard()
    for player in ("ada", "bob", "cy"):
        board.set(player, 0)
    board.set("cy", 30)
    board.set("bob", 30)
    board.set("ada", 10)
    assert board.top(3) == [Place(1, "cy", 30), Place(2, "bob", 30), Place(3, "ada", 10)]
    assert [board.rank(p) for p in ("cy", "bob", "ada")] == [1, 2, 3]
    board.set("cy", 30)  # the same score again keeps cy's place
    assert board.rank("cy") == 1
    board.set("ada", 31)
    assert list(board) == ["ada", "cy", "bob"]
    assert board.leader() == Place(1, "ada", 31)


def test_top_k_beyond_the_size_and_of_nothing() -> None:
    board: Leaderboard[str] = Leaderboard()
    assert board.top(5) == []
    assert board.leader() is None
    board.set("ada", 5)
    assert board.top(5) == [Place(1, "ada", 5)]
    assert board.top(0) == []
    assert len(board) == 1 and "ada" in board and "bob" not in board


updates = st.lists(
    st.tuples(st.sampled_from([f"p{i}" for i in range(12)]), st.integers(0, 60)), max_size=80
)


@given(updates=updates, k=st.integers(0, 15))
def test_agrees_with_a_naive_sort(updates: list[tuple[str, int]], k: int) -> None:
    board: Leaderboard[str] = Leaderboard()
    naive = NaiveBoard()
    for player, score in updates:
        board.set(player, score)
        naive.set(player, score)
        expected = naive.order()
        assert list(board) == expected
        assert board.rank(player) == expected.index(player) + 1
        assert board.score(player) == score
    expected = naive.order()
    assert board.top(k) == [
        Place(place, p, naive.scores[p]) for place, p in enumerate(expected[:k], start=1)
    ]
    assert len(board) == len(expected)
