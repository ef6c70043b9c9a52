-- ---- what passing time does (expiry.py) ---------------------------------------------

local function check_lease(id)
  local t = T.task(id)
  local a = t and T.lease(t)
  if not a then return end
  if a.expires > NOW then  -- renewed since: look again when the renewal lapses
    T.timer('L', id, a.expires)
    return
  end
  T.tally('lease_expiries')
  T.lose(t, a, a.expires >= a.deadline and 'timed_out' or 'expired')
end

local function check_ready(id)
  local t = T.task(id)
  if t and t.state == 'scheduled' and tonumber(t.ready_at) <= NOW then T.make_ready(t) end
end

local function check_worker(id)
  local w = T.worker(id)
  if not w then return end
  if w.health == 'online' then
    if T.silent_since(w) > NOW then
      T.timer('W', id, T.silent_since(w))
      return
    end
    T.set(w, 'health', 'offline')
    redis.call('ZADD', K.offline, w.last_seen, offline_member(w))
    for _, task_id in ipairs(redis.call('SMEMBERS', K.leases(id))) do
      local t = T.task(task_id)
      local a = T.lease(t)
      if a then T.lose(t, a, 'revoked') end
    end
  end
  if T.forget_at(w) > NOW then T.timer('W', id, T.forget_at(w)) else T.remove_worker(w) end
end

local function still_needed(t)
  for _, id in ipairs(redis.call('SMEMBERS', K.dependents(t.id))) do
    local d = T.task(id)
    if d and not TERMINAL[d.state] then return true end
  end
  return false
end

local function check_expiry(id)
  local t = T.task(id)
  if not t or not TERMINAL[t.state] or not t.expires_at then return end
  -- A later deadline, or a finishing dependent, brings it back.
  if tonumber(t.expires_at) <= NOW and not still_needed(t) then forget(t) end
end

local function check_wait(id)
  local t = T.task(id)
  if t and WAITING[t.state] and tonumber(t.give_up_at) <= NOW then
    T.finish(t, 'dead', 'pending_ttl')
  end
end

local CHECKS = {
  L = check_lease, R = check_ready, W = check_worker, E = check_expiry, P = check_wait,
  C = cache_expire,
}

-- Fire every deadline that has passed, in time order (ties in the order they were set);
-- those set meanwhile wait for the next sweep, as memory's do.
function T.sweep()
  local due = redis.call('ZRANGEBYSCORE', K.timers, '-inf', NOW_S)
  for first = 1, #due, 1000 do
    redis.call('ZREM', K.timers, unpack(due, first, math.min(first + 999, #due)))
  end
  for _, member in ipairs(due) do CHECKS[string.sub(member, 17, 17)](string.sub(member, 18)) end
end
