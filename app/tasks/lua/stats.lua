-- tasks.stats (stats.stats). Answers: total, then (name, count) flat by state, by priority
-- and by type, the oldest ready task's ready_at ("" for none), tasks finished by workers in
-- the throughput window, workers online, offline, and finished tasks forgotten.
local function flat(counts)
  local out = {}
  for name, n in pairs(counts) do
    out[#out + 1] = name
    out[#out + 1] = tostring(n)
  end
  return out
end

return T.run(function()
  T.trim_throughput()
  local source = ADMIN and K.all or K.owned(CALLER)
  local by_state, by_priority, by_type = {}, {}, {}
  local total, oldest = 0, nil
  local ids = redis.call('ZRANGE', source, 0, -1)
  for _, id in ipairs(ids) do
    local f = redis.call('HMGET', K.task(id), 'state', 'priority', 'type', 'ready_at')
    total = total + 1
    by_state[f[1]] = (by_state[f[1]] or 0) + 1
    by_priority[f[2]] = (by_priority[f[2]] or 0) + 1
    by_type[f[3]] = (by_type[f[3]] or 0) + 1
    local ready_at = tonumber(f[4])
    if f[1] == 'pending' and (oldest == nil or ready_at < oldest) then oldest = ready_at end
  end
  local online, offline = 0, 0
  for _, id in ipairs(redis.call('ZRANGE', K.workers, 0, -1)) do
    local f = redis.call('HMGET', K.worker(id), 'owner', 'health')
    if ADMIN or f[1] == CALLER then
      if f[2] == 'online' then online = online + 1 else offline = offline + 1 end
    end
  end
  local finished, expired
  if ADMIN then
    finished = redis.call('ZCARD', K.recent)
    expired = redis.call('GET', K.expired_all) or '0'
  else
    finished = 0
    for _, member in ipairs(redis.call('ZRANGE', K.recent, 0, -1)) do
      if string.sub(member, string.find(member, ':', 1, true) + 1) == CALLER then
        finished = finished + 1
      end
    end
    expired = redis.call('HGET', K.expired, CALLER) or '0'
  end
  return {
    tostring(total), flat(by_state), flat(by_priority), flat(by_type),
    oldest and num(oldest) or '', tostring(finished), tostring(online), tostring(offline),
    expired,
  }
end)
