-- tasks.submit (queue.TaskQueue.submit). Arguments: task id, type, queue, payload JSON,
-- fingerprint, priority, its rank, max_attempts, timeout_s, result_ttl_s, cache_ttl_s,
-- ready_at, give_up_at, "1" and the idempotency key (or "0", ""), the type's JSON length,
-- the submit's W3C traceparent (or ""), then the dependencies (distinct). Too large and too
-- late were refused in Python.
return T.run(function()
  local id, queue, payload, fingerprint = arg(1), arg(3), arg(4), arg(5)
  local has_key, key = arg(14) == '1', arg(15)
  if has_key then
    local original = redis.call('HGET', K.idem, CALLER .. '\n' .. key)
    if original then
      local t = T.task(original)
      if t.fingerprint ~= fingerprint or t.queue ~= queue then
        T.refuse('IdempotencyConflict', {idempotency_key = key, task_id = t.id})
      end
      return {t.id, t.state, t.cached, '1'}
    end
  end
  -- Only tasks you own: a lease holder could otherwise read a stranger's result.
  local deps, dep_ids, missing = {}, {}, {}
  for i = 18, #ARGV - HEAD do
    local dep = T.task(arg(i))
    if dep and T.may_steer(dep) then
      deps[#deps + 1] = dep
      dep_ids[#dep_ids + 1] = dep.id
    else
      missing[#missing + 1] = arg(i)
    end
  end
  if #missing > 0 then T.refuse('UnknownDependency', {missing = missing}) end
  local hit, result = nil, 'null'
  if tonumber(arg(11)) > 0 and #deps == 0 then
    hit = T.cache_get(T.cache_key(CALLER, fingerprint))
    if hit then result = T.task(hit.task_id).result end
  end
  T.admit(CALLER, T.stored_size(payload, result, 'null', #deps))
  local seq = redis.call('INCR', K.seq)
  local t = {
    id = id, seq = seq, type = arg(2), queue = queue, payload = payload,
    fingerprint = fingerprint, priority = arg(6), rank = arg(7), max_attempts = arg(8),
    timeout_s = arg(9), result_ttl_s = arg(10), cache_ttl_s = arg(11), submitted_at = NOW_S,
    ready_at = arg(12), give_up_at = arg(13), state = 'blocked', owner = CALLER,
    depends_on = table.concat(dep_ids, ','), idempotency_key = has_key and key or nil,
    type_json = arg(16), attempt = 0, charged = 0, releases = 0, cancel_requested = '0',
    cached = '0', result = result, error = 'null', stored_bytes = 0,
    traceparent = arg(17) ~= '' and arg(17) or nil,
  }
  T.create(TASKS, t)
  T.counted(t)
  redis.call('ZADD', K.all, seq, id)
  redis.call('ZADD', K.owned(CALLER), seq, id)
  redis.call('HINCRBY', K.otasks, CALLER, 1)
  T.resize(t)
  if has_key then redis.call('HSET', K.idem, CALLER .. '\n' .. key, id) end
  local upstream_failed = false
  for _, dep in ipairs(deps) do  -- deps.link
    redis.call('SADD', K.dependents(dep.id), id)
    if dep.state ~= 'succeeded' then redis.call('SADD', K.waiting(id), dep.id) end
    if FAILED_UPSTREAM[dep.state] then upstream_failed = true end
  end
  if hit then
    T.set(t, 'cached', '1')
    T.finish(t, 'succeeded', 'cached')
  elseif upstream_failed then
    T.finish(t, 'cancelled', 'upstream_failed')
  elseif redis.call('EXISTS', K.waiting(id)) == 0 then
    T.make_ready(t)
  end
  if not TERMINAL[t.state] then T.timer('P', id, t.give_up_at) end
  return {id, t.state, t.cached, '0'}
end)
