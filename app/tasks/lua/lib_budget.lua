-- ---- the budget (budget.py) ---------------------------------------------------------

local function held(hash, owner) return tonumber(redis.call('HGET', hash, owner) or '0') end

function T.admit(owner, size)
  local tasks, bytes = held(K.otasks, owner), held(K.obytes, owner)
  if tasks >= L.max_tasks_owner then
    T.refuse('QuotaExceeded', {resource = 'tasks', limit = L.max_tasks_owner, held = tasks})
  end
  if bytes + size > L.max_bytes_owner then
    T.refuse('QuotaExceeded',
      {resource = 'task_bytes', limit = L.max_bytes_owner, held = bytes, size = size})
  end
  if redis.call('ZCARD', K.all) >= L.max_tasks then
    T.refuse('QueueFull', {limit = L.max_tasks})
  end
  if tonumber(redis.call('GET', K.bytes) or '0') + size > L.submit_bytes then
    T.refuse('Overloaded', {resource = 'task_bytes', limit = L.submit_bytes, size = size})
  end
end

function T.admit_growth(grows_by)
  if grows_by > 0 and tonumber(redis.call('GET', K.bytes) or '0') + grows_by > L.max_bytes then
    T.refuse('Overloaded', {resource = 'task_bytes', limit = L.max_bytes, size = grows_by})
  end
end

function T.stored_size(payload, result, err, dependencies)
  return #payload + #result + #err + dependencies * L.dependency_bytes
end

local function charge(owner, delta)
  redis.call('INCRBY', K.bytes, delta)
  if redis.call('HINCRBY', K.obytes, owner, delta) == 0 then redis.call('HDEL', K.obytes, owner) end
end

function T.resize(t)
  local size = T.stored_size(t.payload, t.result, t.error, #T.split(t.depends_on, ','))
  charge(t.owner, size - tonumber(t.stored_bytes))
  T.set(t, 'stored_bytes', size)
end

-- ---- the result cache (cache.py) ----------------------------------------------------
-- cache: key -> "task id|until|size"; cache:order: key by insertion, oldest first.

local function cache_entry(key)
  local raw = redis.call('HGET', K.cache, key)
  if not raw then return nil end
  local f = T.split(raw, '|')
  return {task_id = f[1], ['until'] = tonumber(f[2]), size = tonumber(f[3])}
end

local function cache_pop(key)
  local entry = cache_entry(key)
  if entry then
    redis.call('HDEL', K.cache, key)
    redis.call('ZREM', K.corder, key)
    redis.call('DECRBY', K.cbytes, entry.size)
  end
end

function T.cache_key(owner, fingerprint) return owner .. '\n' .. fingerprint end

function T.cache_put(key, task_id, until_, size)
  cache_pop(key)
  if size > L.cache_bytes then return end
  while true do
    local entries = redis.call('ZCARD', K.corder)
    if entries == 0 then break end
    local bytes = tonumber(redis.call('GET', K.cbytes) or '0')
    if entries < L.cache_entries and bytes + size <= L.cache_bytes then break end
    cache_pop(redis.call('ZRANGE', K.corder, 0, 0)[1])
  end
  redis.call('HSET', K.cache, key, task_id .. '|' .. num(until_) .. '|' .. size)
  redis.call('ZADD', K.corder, redis.call('INCR', K.cseq), key)
  redis.call('INCRBY', K.cbytes, size)
  T.timer('C', key, until_)
end

function T.cache_get(key)
  local entry = cache_entry(key)
  if entry and entry['until'] > NOW then return entry end
  return nil
end

local function cache_expire(key)
  local entry = cache_entry(key)
  if entry and entry['until'] <= NOW then cache_pop(key) end
end

local function cache_drop(key, task_id)
  local entry = cache_entry(key)
  if entry and entry.task_id == task_id then cache_pop(key) end
end
