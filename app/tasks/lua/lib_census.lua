-- ---- the census, for the metrics (census.py; ready.py's heaps by ready time) ----------
-- Kept by every change of a task's state, so that reading the metrics scans no task:
--   census           hash: "<state>:<queue>" -> tasks; census:states: state -> tasks
--   census:queues    sorted set: queue -> tasks held; census:since: when it was built
--   pending:<queue>  sorted set: the queue's pending tasks by ready time
--   oldest           sorted set: queue -> the ready time of its oldest pending task
--   tallies          hash: lease_expiries, retries, dead; every replica counts into it

local function less(key, field)
  if redis.call('HINCRBY', key, field, -1) <= 0 then redis.call('HDEL', key, field) end
end

local function unpend(t)
  local key = K.pending(t.queue)
  redis.call('ZREM', key, t.id)
  local head = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if head[1] then
    redis.call('ZADD', K.oldest, head[2], t.queue)
  else
    redis.call('ZREM', K.oldest, t.queue)
  end
end

-- Task t of t.queue goes from state was to now (nil: it was not, or is no more).
local function count(t, was, now)
  if was == now then return end
  if was then
    less(K.census, was .. ':' .. t.queue)
    less(K.states, was)
    if was == 'pending' then unpend(t) end
  end
  if now then
    redis.call('HINCRBY', K.census, now .. ':' .. t.queue, 1)
    redis.call('HINCRBY', K.states, now, 1)
    if now == 'pending' then
      redis.call('ZADD', K.pending(t.queue), t.ready_at, t.id)
      redis.call('ZADD', K.oldest, 'LT', t.ready_at, t.queue)
    end
  end
end

function T.move(t, state)
  count(t, t.state, state)
  T.set(t, 'state', state)
end

-- A task is held from now on (its queue, state, ready_at and id are set).
function T.counted(t)
  redis.call('ZINCRBY', K.queues, 1, t.queue)
  count(t, nil, t.state)
end

-- A task is forgotten.
function T.uncounted(t)
  if tonumber(redis.call('ZINCRBY', K.queues, -1, t.queue)) <= 0 then
    redis.call('ZREM', K.queues, t.queue)
  end
  count(t, t.state, nil)
end

function T.tally(name) redis.call('HINCRBY', K.tallies, name, 1) end
