-- The round in play, shared by every game script: each script is this file, then its own.
-- The same rules as round.py, on the store clock's `now`: a deadline passed finishes the
-- round on time, and a result up for results_s gives way to the next round, lazily.
--
-- KEYS, all under the game's hash tag:
--   meta     hash: number, phase, ends_at, finished_at, reason, winner, tick
--   players  player id -> its record (JSON from Python: name, emoji, owner; opaque here)
--   digests  player id -> the SHA-256 of its token (hex); the token itself is never stored
--   names    name key (case-folded) -> player id
--   seats    owner (principal id) -> its players in the round
--   board    sorted set: score = the player's score, member = place_of(tick, id)
--   members  player id -> its member in board
--   moves    player id -> when it last moved
-- ARGV: now, min_players, max_players, max_seats_per_owner, target_score, round_s,
-- cooldown_s, results_s; each script's own arguments follow, from ARGV[9].

local META, PLAYERS, DIGESTS, NAMES, SEATS, BOARD, MEMBERS, MOVES =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local NOW = tonumber(ARGV[1])
local MIN_PLAYERS, MAX_PLAYERS, MAX_SEATS = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local TARGET, ROUND_S = tonumber(ARGV[5]), tonumber(ARGV[6])
local COOLDOWN_S, RESULTS_S = tonumber(ARGV[7]), tonumber(ARGV[8])

-- A 15-digit inverted tick leads each member: ZREVRANGE orders equal scores by member,
-- descending, so of two equal scores the one reached first (smaller tick) ranks first.
local TICKS = 999999999999999
local TICK_DIGITS = 15

-- Floats keep all 17 digits: tostring's 14 would move a timestamp by up to 50 µs.
local function float(x)
  return string.format("%.17g", x)
end

local function refuse(name, data)
  return redis.error_reply("E:" .. name .. ":" .. (data == nil and "" or cjson.encode(data)))
end

local function id_of(member)
  return string.sub(member, TICK_DIGITS + 1)
end

local function score_of(member)
  return tonumber(redis.call("ZSCORE", BOARD, member))
end

local function rank_of(member)
  return redis.call("ZREVRANK", BOARD, member) + 1
end

-- Rank `id` at `score`, replacing its `old` member if any: a new score is a new tick.
local function place(id, score, old)
  if old then
    redis.call("ZREM", BOARD, old)
  end
  local tick = redis.call("HINCRBY", META, "tick", 1)
  local member = string.format("%0" .. TICK_DIGITS .. "d", TICKS - tick) .. id
  redis.call("ZADD", BOARD, score, member)
  redis.call("HSET", MEMBERS, id, member)
  return member
end

local function load()
  local f = redis.call("HMGET", META, "number", "phase", "ends_at", "finished_at", "reason", "winner")
  return {
    number = tonumber(f[1]) or 1,
    phase = f[2] or "waiting",
    ends_at = tonumber(f[3]),
    finished_at = tonumber(f[4]),
    reason = f[5] or nil,
    winner = f[6] or nil,
  }
end

local function finish(round, reason, winner, at)
  round.phase, round.reason, round.winner, round.finished_at = "finished", reason, winner, at
  redis.call("HSET", META, "phase", "finished", "reason", reason, "finished_at", float(at))
  if winner then
    redis.call("HSET", META, "winner", winner)
  end
end

-- The round numbered one more than `number`, waiting, with no players.
local function next_round(number)
  redis.call("UNLINK", META, PLAYERS, DIGESTS, NAMES, SEATS, BOARD, MEMBERS, MOVES)
  redis.call("HSET", META, "number", string.format("%d", number + 1))
  return {number = number + 1, phase = "waiting"}
end

-- The round in play now: finished on time if its deadline passed, the next one if over.
local function current()
  local round = load()
  if round.phase == "playing" and round.ends_at and NOW >= round.ends_at then
    -- A round nobody scored in has no winner; otherwise the leader at the bell wins.
    local leader = redis.call("ZREVRANGE", BOARD, 0, 0, "WITHSCORES")
    local winner = nil
    if leader[1] and tonumber(leader[2]) > 0 then
      winner = id_of(leader[1])
    end
    finish(round, "time", winner, round.ends_at)
  end
  if round.finished_at and NOW >= round.finished_at + RESULTS_S then
    return next_round(round.number)
  end
  return round
end

-- What state and new_round answer: number, phase, players, time left ("" for none),
-- reason ("" for none), and the winner's record and score ("" and 0 for none).
local function describe(round)
  local time_left = ""
  if round.phase == "finished" then
    time_left = "0"
  elseif round.ends_at then
    time_left = float(round.ends_at - NOW)
  end
  local record, score = "", 0
  if round.winner then
    record = redis.call("HGET", PLAYERS, round.winner)
    score = score_of(redis.call("HGET", MEMBERS, round.winner))
  end
  return {round.number, round.phase, redis.call("HLEN", PLAYERS), time_left, round.reason or "", record, score}
end
