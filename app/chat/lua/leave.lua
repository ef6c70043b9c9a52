-- leave: ARGV[10] = member key. Answers {room, key, record, seen} of its seat, or {}.
local key = ARGV[10]
local seen = redis.call("ZSCORE", OWN.seen, key)
local out = {}
if seen then
  remove(ROOM, OWN, key, seen, out)
  settle(ROOM, OWN)
end
return out
