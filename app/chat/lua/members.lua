-- members: no arguments of its own. Answers {swept, {record, seen, ...}}, swept as join's.
local swept = {}
sweep(ROOM, OWN, swept)
local seats = redis.call("ZRANGE", OWN.seen, 0, -1, "WITHSCORES")
local listed = {}
for i = 1, #seats, 2 do
  listed[#listed + 1] = redis.call("HGET", OWN.members, seats[i])
  listed[#listed + 1] = seats[i + 1]
end
return {swept, listed}
