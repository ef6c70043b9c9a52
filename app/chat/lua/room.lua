-- What every chat script starts with: the room's keys, the settings, and the presence rules
-- of app/chat/presence.py, step for step, so that both backends agree exactly.
--
-- Keys, all under the domain's hash tag {<prefix>:chat}, so a join may reclaim other rooms:
--   rooms                  sorted set: open room -> when its seat seen last was seen
--   room:<room>:members    hash: member key -> record (JSON: name, nk, owner, joined)
--   room:<room>:names      hash: name key (case-folded, from Python) -> member key
--   room:<room>:seen       sorted set: member key -> when it was last heard from
--   room:<room>:rates      hash: member key -> its send rate's TAT (app/chat/rate.py)
-- KEYS: rooms, then this room's members, names, seen and rates.
-- ARGV: now, ttl_s, max_rooms, max_members, burst, interval_s, slack, the rooms' key prefix
-- ("...:room:"), the room; each script's own arguments follow, from ARGV[10].

local ROOMS = KEYS[1]
local OWN = {members = KEYS[2], names = KEYS[3], seen = KEYS[4], rates = KEYS[5]}
local NOW, TTL = tonumber(ARGV[1]), tonumber(ARGV[2])
local MAX_ROOMS, MAX_MEMBERS = tonumber(ARGV[3]), tonumber(ARGV[4])
local BURST, INTERVAL, SLACK = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local PREFIX, ROOM = ARGV[8], ARGV[9]
-- A seat seen at or before this is absent.
local CUTOFF = NOW - TTL

-- Floats keep all 17 digits: tostring's 14 would move a timestamp by up to 50 µs.
local function float(x)
  return string.format("%.17g", x)
end

local function refuse(name, data)
  return redis.error_reply("E:" .. name .. ":" .. (data == nil and "" or cjson.encode(data)))
end

local function keys_of(room)
  local base = PREFIX .. room .. ":"
  return {members = base .. "members", names = base .. "names", seen = base .. "seen",
    rates = base .. "rates"}
end

local function present(keys, key)
  local seen = tonumber(redis.call("ZSCORE", keys.seen, key))
  return seen ~= nil and seen > CUTOFF
end

-- After a change: the room's latest seen in ROOMS, or the room closed if it has no seat.
local function settle(room, keys)
  local latest = redis.call("ZREVRANGE", keys.seen, 0, 0, "WITHSCORES")
  if latest[1] then
    redis.call("ZADD", ROOMS, latest[2], room)
  else
    redis.call("ZREM", ROOMS, room)
  end
end

-- Remove `key`'s seat (its seen given) and append {room, key, record, seen} to `out`.
local function remove(room, keys, key, seen, out)
  local record = redis.call("HGET", keys.members, key)
  redis.call("HDEL", keys.names, cjson.decode(record).nk)
  redis.call("HDEL", keys.members, key)
  redis.call("HDEL", keys.rates, key)
  redis.call("ZREM", keys.seen, key)
  out[#out + 1], out[#out + 2], out[#out + 3], out[#out + 4] = room, key, record, seen
end

-- Remove the room's absent seats, appending each to `out` as remove() does.
local function sweep(room, keys, out)
  local gone = redis.call("ZRANGEBYSCORE", keys.seen, "-inf", float(CUTOFF), "WITHSCORES")
  for i = 1, #gone, 2 do
    remove(room, keys, gone[i], gone[i + 1], out)
  end
  if #gone > 0 then
    settle(room, keys)
  end
end

-- Mark `key` heard from now.
local function refresh(key)
  redis.call("ZADD", OWN.seen, float(NOW), key)
  settle(ROOM, OWN)
end
