-- tasks.requeue (queue.TaskQueue.requeue). Arguments: task id. A dead task is pending again,
-- with a fresh retry budget and pending TTL.
return T.run(function()
  local t = T.steered(arg(1))
  if t.state ~= 'dead' then
    T.refuse('TaskStateConflict', {task_id = t.id, state = t.state, expected = 'dead'})
  end
  local missing = {}
  for _, dep_id in ipairs(T.split(t.depends_on, ',')) do
    if not T.task(dep_id) then missing[#missing + 1] = dep_id end
  end
  if #missing > 0 then T.refuse('UnknownDependency', {missing = missing}) end
  T.set(t, 'charged', 0)
  T.set(t, 'releases', 0)
  T.set(t, 'reason', nil)
  T.set(t, 'finished_at', nil)
  T.set(t, 'expires_at', nil)
  T.set(t, 'ready_at', NOW)
  T.set(t, 'give_up_at', NOW + L.pending_ttl)
  T.timer('P', t.id, t.give_up_at)
  T.make_ready(t)
  return T.view(t)
end)
