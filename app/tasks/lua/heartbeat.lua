-- tasks.heartbeat (queue.TaskQueue.heartbeat). Arguments: task id, lease id, progress ("" for
-- none), the token's digest. Renews the live lease, never past the task's timeout.
return T.run(function()
  local t = T.task(arg(1))
  if not t then T.refuse('TaskNotFound', {task_id = arg(1)}) end
  local a = T.current(t, arg(2))
  local w = T.as_worker(a.worker, arg(4))
  T.renew(t, a)
  if arg(3) ~= '' then T.set(t, 'progress', tonumber(arg(3))) end
  T.seen(w)
  return {t.id, num(a.expires), t.cancel_requested}
end)
