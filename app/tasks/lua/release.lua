-- tasks.release (queue.TaskQueue.release). Arguments: task id, lease id, the token's digest,
-- "1" if it counts as an attempt (not while draining, nor for a caller that never saw it).
return T.run(function()
  local t = T.task(arg(1))
  if not t then T.refuse('TaskNotFound', {task_id = arg(1)}) end
  local a, again = T.acting(t, arg(2), 'released')
  T.as_worker(a.worker, arg(3))
  if again then return T.view(t) end
  T.release(t, a, arg(4) == '1' and not DRAINING)
  a.reported = true
  return T.view(t)
end)
