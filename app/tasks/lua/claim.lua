-- tasks.claim, the immediate part (queue.TaskQueue.claim). Arguments: worker id, the token's
-- digest ("" for none), max_tasks, then (worker id, max_tasks) per claim waiting before it
-- in this replica, served first, so a new claim never jumps the queue. Answers the worker's
-- room left, what it leased, and T.serve's answer for those before it. While the server
-- stops no new work goes out, but the worker is still seen alive.
return T.run(function()
  local w = T.as_worker(arg(1), arg(2))
  T.seen(w)
  local served = T.serve(4)
  local claimed = T.take(w, DRAINING and 0 or tonumber(arg(3)))
  return {tostring(T.free(w)), claimed, served}
end)
