-- join: ARGV[9..13] = player id, name key, owner, token digest, record.
-- Answers {round number, phase, players}; refusals in round.py's order.
local id, name_key, owner, digest, record = ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13]
local round = current()
if round.finished_at then
  -- Its result is still up, until the next round: say when.
  local wait = math.max(0, round.finished_at + RESULTS_S - NOW)
  return refuse("WrongPhase", {phase = round.phase, wait = float(wait)})
end
if redis.call("HEXISTS", NAMES, name_key) == 1 then
  return refuse("NameTaken")
end
-- The caller's own quota before the shared cap: it is the one the caller can act on.
local held = tonumber(redis.call("HGET", SEATS, owner)) or 0
if held >= MAX_SEATS then
  return refuse("QuotaExceeded", held)
end
local players = redis.call("HLEN", PLAYERS)
if players >= MAX_PLAYERS then
  return refuse("RoundFull")
end
redis.call("HSET", PLAYERS, id, record)
redis.call("HSET", DIGESTS, id, digest)
redis.call("HSET", NAMES, name_key, id)
redis.call("HINCRBY", SEATS, owner, 1)
place(id, 0, nil)
players = players + 1
if round.phase == "waiting" and players >= MIN_PLAYERS then
  round.phase = "playing"
  redis.call("HSET", META, "phase", "playing", "ends_at", float(NOW + ROUND_S))
end
return {round.number, round.phase, players}
