"""The game domain: rounds, players, rules and the leaderboard behind ``game.*``.

errors.py       codes 4xxx: bad credentials, wrong phase, name taken, full, cooling down
models.py       what game.* methods take and return: names, actions, phases, results
store.py        GameStore: the Protocol handlers call, each operation atomic
memory.py       MemoryGameStore: the in-process backend, built from a StoreContext
redis.py        RedisGameStore: the round in Redis, each operation one script (lua/)
redis_refusals.py  the scripts' refusals, as the domain errors memory raises
round.py        one round: its phases, players and every rule that changes them (sync)
players.py      player ids, secret tokens and their digests (names: app/names.py)
rules.py        the points each action rolls, and the levels scores buy
leaderboard.py  the O(log n) ranking, ties to whoever reached the score first
messages.py     display texts and medals, derived from the numbers
metrics.py      the metrics: players in the round, rounds begun
"""
