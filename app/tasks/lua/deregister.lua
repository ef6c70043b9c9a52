-- workers.deregister (roster.RosterQueue.deregister). Arguments: worker id, the token's
-- digest. The tasks it holds go back to the queue, each release an attempt (unless
-- draining); their leases end for good. Answers the worker as it was, with those tasks.
return T.run(function()
  local w = T.as_worker(arg(1), arg(2))
  local running = redis.call('SMEMBERS', K.leases(w.id))
  local view = T.worker_view(w, running, true)
  T.remove_worker(w)
  T.gone(w.id)
  for _, task_id in ipairs(running) do
    local t = T.task(task_id)
    local a = T.lease(t)
    if a then T.release(t, a, not DRAINING) end
  end
  return view
end)
