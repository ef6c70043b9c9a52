-- measure: no arguments of its own. Answers {round number, players}, of the round in play.
local round = current()
return {round.number, redis.call("HLEN", PLAYERS)}
