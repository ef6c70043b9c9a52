-- leaderboard: ARGV[9] = limit. Answers {record, score, record, score, ...}, best first.
local limit = tonumber(ARGV[9])
current()
local reply = {}
if limit > 0 then
  local top = redis.call("ZREVRANGE", BOARD, 0, limit - 1, "WITHSCORES")
  for i = 1, #top, 2 do
    reply[#reply + 1] = redis.call("HGET", PLAYERS, id_of(top[i]))
    reply[#reply + 1] = tonumber(top[i + 1])
  end
end
return reply
