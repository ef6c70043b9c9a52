-- ---- ready queues (ready.py): one sorted set per (queue, type) ----------------------

-- The set's members sort as memory's heap keys do (most urgent, then ready time, then
-- submit order): a rank digit, the ready time's IEEE bytes in hex, the padded submit number.
function T.pair(queue, type_) return #queue .. ':' .. queue .. ':' .. type_ end

function T.unpair(pair)
  local n, rest = string.match(pair, '^(%d+):(.*)$')
  n = tonumber(n)
  return string.sub(rest, 1, n), string.sub(rest, n + 2)
end

local function hex(bytes)
  return (string.gsub(bytes, '.', function(c) return string.format('%02x', string.byte(c)) end))
end

local function unhex(digits)
  return (string.gsub(digits, '..', function(cc) return string.char(tonumber(cc, 16)) end))
end

-- Whether ready member a comes before b (compared as numbers: Lua compares strings by locale).
local function before(a, b)
  local ra, rb = string.byte(a, 1), string.byte(b, 1)
  if ra ~= rb then return ra < rb end
  local ta = struct.unpack('>d', unhex(string.sub(a, 2, 17)))
  local tb = struct.unpack('>d', unhex(string.sub(b, 2, 17)))
  if ta ~= tb then return ta < tb end
  return tonumber(string.sub(a, 18, 33)) < tonumber(string.sub(b, 18, 33))
end

function T.has_ready() return redis.call('SCARD', K.heaps) > 0 end

function T.discard_ready(t)
  if t.ready_member then
    local pair = T.pair(t.queue, t.type)
    redis.call('ZREM', K.ready(pair), t.ready_member)
    if redis.call('EXISTS', K.ready(pair)) == 0 then redis.call('SREM', K.heaps, pair) end
    T.set(t, 'ready_member', nil)
  end
end

function T.push_ready(t)
  T.discard_ready(t)
  local member = (3 - tonumber(t.rank)) .. hex(struct.pack('>d', tonumber(t.ready_at)))
    .. string.format('%016d', tonumber(t.seq)) .. t.id
  local pair = T.pair(t.queue, t.type)
  redis.call('ZADD', K.ready(pair), 0, member)
  redis.call('SADD', K.heaps, pair)
  T.set(t, 'ready_member', member)
  EV.ready = true
end

-- Take the most urgent ready task among these queues and types, if any.
function T.pop(queues, types)
  local heaps = redis.call('SCARD', K.heaps)
  if heaps == 0 then return nil end
  local candidates = {}
  if #queues * #types <= heaps then
    for _, q in ipairs(queues) do
      for _, ty in ipairs(types) do candidates[#candidates + 1] = T.pair(q, ty) end
    end
  else
    local wq, wt = {}, {}
    for _, q in ipairs(queues) do wq[q] = true end
    for _, ty in ipairs(types) do wt[ty] = true end
    for _, pair in ipairs(redis.call('SMEMBERS', K.heaps)) do
      local q, ty = T.unpair(pair)
      if wq[q] and wt[ty] then candidates[#candidates + 1] = pair end
    end
  end
  local best, best_pair
  for _, pair in ipairs(candidates) do
    local head = redis.call('ZRANGE', K.ready(pair), 0, 0)[1]
    if head and (best == nil or before(head, best)) then best, best_pair = head, pair end
  end
  if not best then return nil end
  local t = T.task(string.sub(best, 34))
  T.discard_ready(t)
  return t
end
