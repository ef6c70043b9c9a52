-- ---- answers ------------------------------------------------------------------------

-- A task as redis_codec reads it: its fields (flat), then its attempts.
function T.view(t)
  local flat = {}
  for field, value in pairs(t) do
    if type(value) == 'string' then
      flat[#flat + 1] = field
      flat[#flat + 1] = value
    end
  end
  local attempts = {}
  for i, a in ipairs(T.attempts(t)) do attempts[i] = T.encode_attempt(a) end
  return {flat, attempts}
end

-- A worker as redis_codec reads it; running lists only the tasks the caller may see,
-- unless every one is asked for.
function T.worker_view(w, running, every)
  local shown = {}
  for _, task_id in ipairs(running or redis.call('SMEMBERS', K.leases(w.id))) do
    local t = T.task(task_id)
    if every or ADMIN or (t and T.may_see(t)) then shown[#shown + 1] = task_id end
  end
  return {
    w.id, w.name, w.types, w.queues, w.capacity, w.health, w.last_seen, w.registered_at, shown,
  }
end

-- Wake-ups for the replicas: "r" (tasks became ready: serve waiting claims), "f:<worker>"
-- (a worker has room again, and tasks wait), "d:<task>" (it finished), "g:<worker>" (it
-- is gone), "t:<when>" (the earliest deadline is sooner than any announced).
local function events()
  local tokens = {}
  if EV.ready then
    tokens[1] = 'r'
  elseif #EV.freed_ids > 0 and T.has_ready() then
    for _, id in ipairs(EV.freed_ids) do tokens[#tokens + 1] = 'f:' .. id end
  end
  for _, id in ipairs(EV.finished) do tokens[#tokens + 1] = 'd:' .. id end
  for _, id in ipairs(EV.gone) do tokens[#tokens + 1] = 'g:' .. id end
  local first = redis.call('ZRANGE', K.timers, 0, 0, 'WITHSCORES')
  if #first > 0 then
    local announced = redis.call('GET', K.announced)
    if not announced or tonumber(first[2]) < tonumber(announced) then
      redis.call('SET', K.announced, first[2])
      tokens[#tokens + 1] = 't:' .. first[2]
    end
  end
  return tokens
end

local function publish(origin)
  local tokens = events()
  if #tokens > 0 then
    redis.call('PUBLISH', K.channel, origin .. ' ' .. table.concat(tokens, ' '))
  end
  return tokens
end

-- Sweep, then run the operation: answer {its reply, its wake-ups}, or its refusal (the
-- sweep's wake-ups then go to every replica, this one too, since no reply carries them).
function T.run(operation)
  T.fresh()
  T.sweep()
  T.flush()  -- what the operation reads straight from Redis (stats) is then as swept
  local ok, result = pcall(operation)
  T.flush()
  if ok then return {result, publish(ORIGIN)} end
  if type(result) == 'table' and result.refusal then
    publish('')
    return redis.error_reply(result.refusal)
  end
  error(result, 0)
end
