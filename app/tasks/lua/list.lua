-- tasks.list (stats.page). Arguments: state, type, queue ("" for any), the submit number
-- after which to start, limit. Answers the views, then the next cursor ("" at the end).
return T.run(function()
  local state, type_, queue, after, limit = arg(1), arg(2), arg(3), arg(4), tonumber(arg(5))
  local source = ADMIN and K.all or K.owned(CALLER)
  local found, cursor, offset = {}, '', 0
  while cursor == '' do
    local ids = redis.call('ZRANGEBYSCORE', source, '(' .. after, '+inf', 'LIMIT', offset, 200)
    if #ids == 0 then break end
    offset = offset + #ids
    for _, id in ipairs(ids) do
      local t = T.task(id)
      if (state == '' or t.state == state) and (type_ == '' or t.type == type_)
          and (queue == '' or t.queue == queue) then
        if #found == limit then
          cursor = found[#found].seq
          break
        end
        found[#found + 1] = t
      end
    end
  end
  local views = {}
  for i, t in ipairs(found) do views[i] = T.view(t) end
  return {views, cursor}
end)
