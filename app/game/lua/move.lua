-- move: ARGV[9..11] = player id, the digest of the token given, the points rolled.
-- Answers {score, rank, won (1 or 0)}; refusals in round.py's order.
local id, digest, points = ARGV[9], ARGV[10], tonumber(ARGV[11])
local round = current()
-- Credentials first: a stranger learns nothing, not even the phase or a cooldown. Lua
-- strings are interned, so == compares references: no time leaks how much matched.
if redis.call("HGET", DIGESTS, id) ~= digest then
  return refuse("BadCredentials")
end
if round.phase ~= "playing" then
  return refuse("WrongPhase", round.phase)
end
local last = tonumber(redis.call("HGET", MOVES, id))
if last then
  local wait = last + COOLDOWN_S - NOW
  if wait > 0 then
    return refuse("CoolingDown", float(wait))
  end
end
local member = redis.call("HGET", MEMBERS, id)
local score = score_of(member) + points
redis.call("HSET", MOVES, id, float(NOW))
if points > 0 then
  -- The same score keeps its earlier tick, so the tie-break stays fair.
  member = place(id, score, member)
end
local won = score >= TARGET
if won then
  finish(round, "target", id, NOW)
end
return {score, rank_of(member), won and 1 or 0}
