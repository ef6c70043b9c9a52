-- open: build the census (lib_census.lua) from the tasks held, unless it has been kept since
-- they were (census:since is set): a Redis that a version without it wrote to. Answers 1 if
-- it built the census, 0 if it was there. One scan, once; the metrics never scan.
return T.run(function()
  if redis.call('EXISTS', K.since) == 1 then return 0 end
  local found, queues = {}, {}
  for i, id in ipairs(redis.call('ZRANGE', K.all, 0, -1)) do
    local f = redis.call('HMGET', K.task(id), 'queue', 'state', 'ready_at')
    found[i] = {id = id, queue = f[1], state = f[2], ready_at = f[3]}
    queues[f[1]] = true
  end
  redis.call('DEL', K.census, K.states, K.queues, K.oldest)
  for queue in pairs(queues) do redis.call('DEL', K.pending(queue)) end
  for _, t in ipairs(found) do T.counted(t) end
  redis.call('SET', K.since, NOW_S)
  return 1
end)
