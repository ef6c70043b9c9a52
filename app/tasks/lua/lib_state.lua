-- ---- transitions (state.py) ---------------------------------------------------------

function T.claimed(t, a)
  local results = {}
  for _, dep_id in ipairs(T.split(t.depends_on, ',')) do
    local dep = T.task(dep_id)
    if dep then
      results[#results + 1] = dep_id
      results[#results + 1] = dep.result
    end
  end
  return {
    t.id, t.type, t.queue, t.priority, t.payload, a.secret, num(a.expires), num(a.deadline),
    t.timeout_s, num(a.number), t.max_attempts, results, t.traceparent or '',
  }
end

-- Lease ready tasks to w (the claim step, once swept).
function T.take(w, max_tasks)
  local claimed = {}
  local queues, types = cjson.decode(w.queues), cjson.decode(w.types)
  for _ = 1, math.min(max_tasks, T.free(w)) do
    local t = T.pop(queues, types)
    if not t then break end
    local a = T.grant(t, w.id)
    T.move(t, 'running')
    T.set(t, 'progress', nil)
    redis.call('SADD', K.leases(w.id), t.id)
    T.timer('L', t.id, a.expires)
    claimed[#claimed + 1] = T.claimed(t, a)
  end
  return claimed
end

-- Lease to waiting claims in turn, oldest first (memory's _serve), from the (worker id,
-- max_tasks) pairs of arguments from i on. Per claim: "gone" (no such worker), "wait"
-- (nothing for it now), or "took" and what it leased.
function T.serve(i)
  local served = {}
  for j = i, #ARGV - HEAD, 2 do
    local w = T.worker(arg(j))
    if not w then
      served[#served + 1] = {'gone', {}}
    elseif w.health == 'offline' or not T.has_ready() then
      served[#served + 1] = {'wait', {}}
    else
      served[#served + 1] = {'took', T.take(w, tonumber(arg(j + 1)))}
    end
  end
  return served
end

function T.make_ready(t)
  if NOW >= tonumber(t.give_up_at) then  -- it waited past task_pending_ttl_s (a last retry)
    T.finish(t, 'dead', 'pending_ttl')
  elseif tonumber(t.ready_at) > NOW then
    T.move(t, 'scheduled')
    T.timer('R', t.id, t.ready_at)
  else
    T.move(t, 'pending')
    T.push_ready(t)
  end
end

-- A worker has room again: serve its waiting claims (if tasks wait).
function T.wake(worker_id)
  if not EV.freed[worker_id] then
    EV.freed[worker_id] = true
    EV.freed_ids[#EV.freed_ids + 1] = worker_id
  end
end

-- A worker is gone: its waiting claims end.
function T.gone(worker_id) EV.gone[#EV.gone + 1] = worker_id end

function T.end_attempt(t, a, outcome)
  a.outcome = outcome
  a.ended = NOW
  T.touch(t)
  T.set(t, 'worker', nil)
  local w = T.worker(a.worker)
  if w then
    redis.call('SREM', K.leases(w.id), t.id)
    T.wake(w.id)
  end
end

-- Give the task back, ready at once; charge: the release counts as an attempt.
function T.release(t, a, charge_it)
  T.end_attempt(t, a, 'released')
  if t.cancel_requested == '1' then
    T.finish(t, 'cancelled', 'cancelled')
    return
  end
  if charge_it then
    local releases = tonumber(t.releases) + 1
    T.set(t, 'releases', releases)
    -- The first few are free (a worker restarted mid-task); the rest count.
    if releases > L.free_releases then
      local charged = tonumber(t.charged) + 1
      T.set(t, 'charged', charged)
      if charged >= tonumber(t.max_attempts) then
        T.finish(t, 'dead', 'released')
        return
      end
    end
  end
  T.make_ready(t)
end

-- The attempt ended without a report: its lease lapsed, or its worker went away.
function T.lose(t, a, outcome)
  T.end_attempt(t, a, outcome)
  if t.cancel_requested == '1' then T.finish(t, 'cancelled', 'cancelled') else T.retry(t, outcome) end
end

function T.retry(t, why)
  local charged = tonumber(t.charged) + 1
  T.set(t, 'charged', charged)
  if charged >= tonumber(t.max_attempts) then
    T.finish(t, 'dead', why)
    return
  end
  T.tally('retries')
  -- retry.backoff: "equal jitter", the exponent capped as there.
  local exponential = math.min(L.retry_max, L.retry_base * 2 ^ math.min(math.max(0, charged - 1), 64))
  T.set(t, 'ready_at', NOW + exponential / 2 + math.random() * (exponential / 2))
  T.make_ready(t)
end

local function by_seq(a, b) return tonumber(a.seq) < tonumber(b.seq) end

-- deps.unblocked: dependents of the succeeded done that now have every dependency done.
local function unblocked(done)
  local dependents = {}
  for _, id in ipairs(redis.call('SMEMBERS', K.dependents(done.id))) do
    local d = T.task(id)
    if d then dependents[#dependents + 1] = d end
  end
  table.sort(dependents, by_seq)
  local ready = {}
  for _, d in ipairs(dependents) do
    if redis.call('SREM', K.waiting(d.id), done.id) == 1
        and redis.call('EXISTS', K.waiting(d.id)) == 0 and d.state == 'blocked' then
      ready[#ready + 1] = d
    end
  end
  return ready
end

-- deps.downstream: every unfinished task that depends on failed, in submit order.
local function downstream(failed)
  local seen, found, stack = {}, {}, {failed}
  while #stack > 0 do
    local current = table.remove(stack)
    for _, id in ipairs(redis.call('SMEMBERS', K.dependents(current.id))) do
      local d = T.task(id)
      if d and not seen[id] and not TERMINAL[d.state] then
        seen[id] = true
        found[#found + 1] = d
        stack[#stack + 1] = d
      end
    end
  end
  table.sort(found, by_seq)
  return found
end

function T.finish(t, state, reason)
  T.settle(t, state, reason)
  if state == 'succeeded' then
    for _, d in ipairs(unblocked(t)) do
      T.set(d, 'ready_at', math.max(tonumber(d.ready_at), NOW))
      T.make_ready(d)
    end
  elseif FAILED_UPSTREAM[state] then
    for _, d in ipairs(downstream(t)) do
      if d.state == 'running' then
        T.set(d, 'cancel_requested', '1')  -- unreachable by construction; be safe
      else
        T.settle(d, 'cancelled', 'upstream_failed')
      end
    end
  end
end

function T.trim_throughput()
  redis.call('ZREMRANGEBYSCORE', K.recent, '-inf', num(NOW - L.window))
end

function T.settle(t, state, reason)
  T.discard_ready(t)
  T.move(t, state)
  if state == 'dead' then T.tally('dead') end
  T.set(t, 'reason', reason)
  T.set(t, 'finished_at', NOW)
  local expires_at = NOW + tonumber(t.result_ttl_s)
  T.set(t, 'expires_at', expires_at)
  T.timer('E', t.id, expires_at)
  EV.finished[#EV.finished + 1] = t.id
  if WORKED[state] and t.cached ~= '1' then
    redis.call('ZADD', K.recent, NOW, redis.call('INCR', K.rseq) .. ':' .. t.owner)
    T.trim_throughput()
  end
  for _, dep_id in ipairs(T.split(t.depends_on, ',')) do
    local dep = T.task(dep_id)
    -- A dependency kept alive for this task's sake may expire now.
    if dep and dep.expires_at and tonumber(dep.expires_at) <= NOW then T.timer('E', dep_id, NOW) end
  end
end

-- Delete a finished task, with its idempotency key and the cache entry it made.
local function forget(t)
  for _, dep_id in ipairs(T.split(t.depends_on, ',')) do
    if T.task(dep_id) then redis.call('SREM', K.dependents(dep_id), t.id) end
  end
  t._gone = true
  T.uncounted(t)
  redis.call('ZREM', K.all, t.id)
  redis.call('ZREM', K.owned(t.owner), t.id)
  if redis.call('HINCRBY', K.otasks, t.owner, -1) == 0 then redis.call('HDEL', K.otasks, t.owner) end
  charge(t.owner, -tonumber(t.stored_bytes))
  if t.idempotency_key then
    local key = t.owner .. '\n' .. t.idempotency_key
    if redis.call('HGET', K.idem, key) == t.id then redis.call('HDEL', K.idem, key) end
  end
  cache_drop(T.cache_key(t.owner, t.fingerprint), t.id)
  redis.call('HINCRBY', K.expired, t.owner, 1)
  redis.call('INCR', K.expired_all)
end
