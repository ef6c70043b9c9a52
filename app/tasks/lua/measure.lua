-- The metrics (metrics.py), once swept, from the census alone. Arguments: how many queues
-- get a label, the label of the rest, then every state. Answers: the labelled queues (those
-- holding the most tasks; one named as the rest is not one), their counts (per queue, state
-- by state), each state's total, 1 if other queues hold tasks, the labelled queues' oldest
-- pending ready times ("" for none), the others' oldest (""), workers online, and the tallies.
return T.run(function()
  local cap, rest = tonumber(arg(1)), arg(2)
  local states = {}
  for i = 3, #ARGV - HEAD do states[#states + 1] = arg(i) end
  local top, labelled = {}, {}
  local largest = {'ZRANGE', K.queues, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, cap + 1}
  for _, queue in ipairs(redis.call(unpack(largest))) do
    if queue ~= rest and #top < cap then
      top[#top + 1] = queue
      labelled[queue] = true
    end
  end
  local fields = {}
  for _, queue in ipairs(top) do
    for _, state in ipairs(states) do fields[#fields + 1] = state .. ':' .. queue end
  end
  local counts, oldest = {}, {}
  if #top > 0 then
    counts = redis.call('HMGET', K.census, unpack(fields))
    oldest = redis.call('ZMSCORE', K.oldest, unpack(top))
  end
  for i = 1, #fields do counts[i] = counts[i] or '0' end
  for i = 1, #top do oldest[i] = oldest[i] or '' end
  local totals = redis.call('HMGET', K.states, unpack(states))
  for i = 1, #states do totals[i] = totals[i] or '0' end
  local others_oldest = ''
  local earliest = redis.call('ZRANGE', K.oldest, 0, cap, 'WITHSCORES')
  for i = 1, #earliest, 2 do
    if not labelled[earliest[i]] then
      others_oldest = earliest[i + 1]
      break
    end
  end
  local more = redis.call('ZCARD', K.queues) > #top and 1 or 0
  local online = redis.call('ZCARD', K.workers) - redis.call('ZCARD', K.offline)
  local tallies = redis.call('HMGET', K.tallies, 'lease_expiries', 'retries', 'dead')
  for i = 1, 3 do tallies[i] = tallies[i] or '0' end
  return {top, counts, totals, more, oldest, others_oldest, online, tallies}
end)
