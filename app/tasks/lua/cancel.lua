-- tasks.cancel (queue.TaskQueue.cancel). Arguments: task id. A running task is only flagged.
return T.run(function()
  local t = T.steered(arg(1))
  if t.state == 'cancelled' then return T.view(t) end
  if TERMINAL[t.state] then T.refuse('TaskStateConflict', {task_id = t.id, state = t.state}) end
  T.set(t, 'cancel_requested', '1')
  if t.state ~= 'running' then T.finish(t, 'cancelled', 'cancelled') end
  return T.view(t)
end)
