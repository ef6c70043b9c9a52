-- The timer loop's sweep: fire what is due (every script does first), then answer when the
-- next deadline comes ("" for none), announced so no replica wakes for an older one.
return T.run(function()
  local first = redis.call('ZRANGE', K.timers, 0, 0, 'WITHSCORES')
  if #first == 0 then
    redis.call('DEL', K.announced)
    return ''
  end
  redis.call('SET', K.announced, first[2])
  return first[2]
end)
