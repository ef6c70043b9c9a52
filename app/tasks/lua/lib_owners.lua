-- ---- owners.py ----------------------------------------------------------------------

function T.may_steer(t) return ADMIN or t.owner == CALLER end

function T.may_see(t)
  if T.may_steer(t) then return true end
  if CALLER == ANON or not t.worker then return false end
  local w = T.worker(t.worker)
  return w ~= nil and w.owner == CALLER
end

function T.visible(id)
  local t = T.task(id)
  if not t or not T.may_see(t) then T.refuse('TaskNotFound', {task_id = id}) end
  return t
end

function T.steered(id)
  local t = T.task(id)
  if not t or not T.may_steer(t) then T.refuse('TaskNotFound', {task_id = id}) end
  return t
end

-- The worker, if the caller sending this token's digest ("" for none) may act as it.
function T.as_worker(id, digest)
  local w = T.worker(id)
  if w and ((digest ~= '' and digest == w.digest) or ADMIN
      or (CALLER ~= ANON and w.owner == CALLER)) then
    return w
  end
  T.refuse('WorkerNotFound', {worker_id = id})
end

-- ---- leases.py ----------------------------------------------------------------------

function T.lost(t) T.refuse('LeaseLost', {task_id = t.id, state = t.state}) end

function T.current(t, lease_id)
  local a = T.lease(t)
  if a and a.secret == lease_id then return a end
  T.lost(t)
end

-- The attempt lease_id may make this report on, and whether it only repeats one.
function T.acting(t, lease_id, report)
  local atts = T.attempts(t)
  local found
  for _, a in ipairs(atts) do
    if a.secret == lease_id then found = a end
  end
  if found then
    if not found.outcome then return found, false end
    if found == atts[#atts] and found.reported and found.outcome == report then
      return found, true
    end
  end
  T.lost(t)
end

-- A lease id: unguessable, as the seed is; the claim that made it can name it again.
function T.lease_id(seed, task_id, number)
  return 'l_' .. string.sub(redis.sha1hex(seed .. ':' .. task_id .. ':' .. number), 1, 32)
end

function T.grant(t, worker_id)
  local deadline = NOW + tonumber(t.timeout_s)
  local number = tonumber(t.attempt) + 1
  T.set(t, 'attempt', number)
  local a = {
    number = number, secret = T.lease_id(SEED, t.id, number), worker = worker_id, started = NOW,
    expires = math.min(NOW + L.lease_ttl, deadline), deadline = deadline,
  }
  local atts = T.attempts(t)
  atts[#atts + 1] = a
  while #atts > L.kept do table.remove(atts, 1) end
  T.touch(t)
  T.set(t, 'worker', worker_id)
  return a
end

-- No deadline is set: the lease's one fires, sees the renewal, and looks again then.
function T.renew(t, a)
  a.expires = math.min(NOW + L.lease_ttl, a.deadline)
  T.touch(t)
end
