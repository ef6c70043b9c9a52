-- status: ARGV[9] = player id. Answers {record, score, rank}.
local id = ARGV[9]
local round = current()
local record = redis.call("HGET", PLAYERS, id)
if not record then
  return refuse("PlayerNotFound", round.number)
end
local member = redis.call("HGET", MEMBERS, id)
return {record, score_of(member), rank_of(member)}
