-- tasks.complete and tasks.fail (queue.TaskQueue.complete, fail). Arguments: task id, lease
-- id, the token's digest, "succeeded" or "failed", the value's JSON as kept, "1" if a failure
-- may be retried.
return T.run(function()
  local t = T.task(arg(1))
  if not t then T.refuse('TaskNotFound', {task_id = arg(1)}) end
  local report, kept = arg(4), arg(5)
  local a, again = T.acting(t, arg(2), report)
  T.as_worker(a.worker, arg(3))
  if again then return T.view(t) end
  -- _measured: within the size limit, and the budget. canonical(type, value) is "[", the
  -- type's JSON, ",", the value's JSON (as long sorted as not), "]".
  local field = report == 'succeeded' and 'result' or 'error'
  local size = 3 + tonumber(t.type_json) + #kept
  if size > L.max_payload then
    T.refuse('TooLarge', {what = field, size = size, limit = L.max_payload})
  end
  T.admit_growth(#kept - #t[field])
  T.end_attempt(t, a, report)
  a.reported = true
  T.set(t, field, kept)
  T.resize(t)
  if report == 'succeeded' then
    T.set(t, 'progress', 1)
    T.finish(t, 'succeeded', nil)
    local ttl = tonumber(t.cache_ttl_s)
    if ttl > 0 and t.depends_on == '' then
      T.cache_put(T.cache_key(t.owner, t.fingerprint), t.id, NOW + ttl, #kept)
    end
  elseif t.cancel_requested == '1' then
    T.finish(t, 'cancelled', 'cancelled')
  elseif arg(6) ~= '1' then
    T.finish(t, 'failed', 'failed')
  else
    T.retry(t, 'failed')
  end
  return T.view(t)
end)
