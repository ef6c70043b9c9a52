-- join: ARGV[10..13] = member key, owner, name, name key.
-- Answers {new (1 or 0), record, seen, renamed from ("" for not), swept}, where swept is
-- {room, key, record, seen, ...}; refusals in presence.py's order, before any change.
local key, owner, name, nk = ARGV[10], ARGV[11], ARGV[12], ARGV[13]
local holder = redis.call("HGET", OWN.names, nk)
if holder and holder ~= key and present(OWN, holder) then
  return refuse("NameTaken")
end
local here = present(OWN, key)
local swept = {}
if redis.call("ZSCORE", ROOMS, ROOM) then
  if not here and redis.call("ZCOUNT", OWN.seen, "(" .. float(CUTOFF), "+inf") >= MAX_MEMBERS then
    return refuse("RoomFull")
  end
else
  -- One room more: first reclaim the rooms longest without a present member, if need be.
  local over = redis.call("ZCARD", ROOMS) - MAX_ROOMS + 1
  if over > 0 then
    local oldest = redis.call("ZRANGE", ROOMS, 0, over - 1, "WITHSCORES")
    local latest = tonumber(oldest[2 * over])
    if latest > CUTOFF then
      return refuse("Overloaded", float(latest + TTL - NOW))
    end
    for i = 1, #oldest, 2 do
      sweep(oldest[i], keys_of(oldest[i]), swept)
    end
  end
end
sweep(ROOM, OWN, swept)
local new, renamed_from, record = 1, "", nil
if here then
  local was = cjson.decode(redis.call("HGET", OWN.members, key))
  new = 0
  if was.name ~= name then
    renamed_from = was.name
  end
  redis.call("HDEL", OWN.names, was.nk)
  record = cjson.encode({name = name, nk = nk, owner = was.owner, joined = was.joined})
else
  record = cjson.encode({name = name, nk = nk, owner = owner, joined = float(NOW)})
end
redis.call("HSET", OWN.members, key, record)
redis.call("HSET", OWN.names, nk, key)
refresh(key)
return {new, record, float(NOW), renamed_from, swept}
