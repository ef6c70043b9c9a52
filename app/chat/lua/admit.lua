-- admit: ARGV[10] = member key. Answers {record, seen}; refusals before any change.
-- The send rate is app/chat/rate.py's charge(), in the same float operations.
local key = ARGV[10]
if not present(OWN, key) then
  return refuse("NotMember")
end
local tat = tonumber(redis.call("HGET", OWN.rates, key))
local horizon = NOW + BURST * INTERVAL
local start = NOW
if tat ~= nil and tat >= NOW then
  start = math.min(tat, horizon)
end
local after = start + INTERVAL
if after > horizon + SLACK then
  return refuse("SendingTooFast", float(after - horizon))
end
redis.call("HSET", OWN.rates, key, float(after))
refresh(key)
return {redis.call("HGET", OWN.members, key), float(NOW)}
