-- workers.heartbeat (roster.RosterQueue.worker_heartbeat). Arguments: worker id, the token's
-- digest, then (task id, lease id, progress or "") per task it runs. Answers the tasks to
-- stop, (task id, lease expiry) flat for each lease renewed, and "1" while draining.
return T.run(function()
  local w = T.as_worker(arg(1), arg(2))
  T.seen(w)
  if T.has_ready() then T.wake(w.id) end  -- a worker back online may be waiting for them
  local stop, renewed = {}, {}
  for i = 3, #ARGV - HEAD, 3 do
    local task_id, lease_id, progress = arg(i), arg(i + 1), arg(i + 2)
    local t = T.task(task_id)
    local a = t and T.lease(t)
    if not a or a.worker ~= w.id or a.secret ~= lease_id then
      stop[#stop + 1] = task_id
    else
      T.renew(t, a)
      if progress ~= '' then T.set(t, 'progress', tonumber(progress)) end
      renewed[#renewed + 1] = task_id
      renewed[#renewed + 1] = num(a.expires)
      if t.cancel_requested == '1' then stop[#stop + 1] = task_id end
    end
  end
  return {stop, renewed, DRAINING and '1' or '0'}
end)
