-- ---- workers (workers.py) -----------------------------------------------------------

function T.silent_since(w) return tonumber(w.last_seen) + L.missed * L.heartbeat end
function T.forget_at(w) return tonumber(w.last_seen) + L.forget_after * L.heartbeat end
function T.free(w)
  return math.max(0, tonumber(w.capacity) - redis.call('SCARD', K.leases(w.id)))
end
-- Offline workers by when they were last seen, ties in registration order.
local function offline_member(w) return string.format('%016d', tonumber(w.order)) .. w.id end

function T.seen(w)
  local was_offline = w.health == 'offline'
  T.set(w, 'last_seen', NOW)
  T.set(w, 'health', 'online')
  if was_offline then  -- its silence deadline chain ended when it went offline
    redis.call('ZREM', K.offline, offline_member(w))
    T.timer('W', w.id, T.silent_since(w))
  end
  return was_offline
end

function T.remove_worker(w)
  w._gone = true
  redis.call('ZREM', K.workers, w.id)
  redis.call('ZREM', K.offline, offline_member(w))
  if redis.call('HINCRBY', K.wheld, w.owner, -1) == 0 then redis.call('HDEL', K.wheld, w.owner) end
end

-- The offline worker (of owner's, unless nil) silent the longest.
function T.oldest_offline(owner)
  for _, member in ipairs(redis.call('ZRANGE', K.offline, 0, -1)) do
    local w = T.worker(string.sub(member, 17))
    if w and (owner == nil or w.owner == owner) and redis.call('SCARD', K.leases(w.id)) == 0 then
      return w
    end
  end
  return nil
end
