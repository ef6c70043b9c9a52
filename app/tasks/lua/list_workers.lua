-- workers.list (stats.workers). Arguments: the worker id to list after ("" for the first),
-- limit. Answers the caller's workers (everyone's for admin) in worker id order.
return T.run(function()
  local after, limit = arg(1), tonumber(arg(2))
  local start = after == '' and '-' or '(' .. after
  local views, offset = {}, 0
  while #views < limit do
    local ids = redis.call('ZRANGEBYLEX', K.workers, start, '+', 'LIMIT', offset, 200)
    if #ids == 0 then break end
    offset = offset + #ids
    for _, id in ipairs(ids) do
      if #views == limit then break end
      local w = T.worker(id)
      if ADMIN or w.owner == CALLER then views[#views + 1] = T.worker_view(w) end
    end
  end
  return views
end)
