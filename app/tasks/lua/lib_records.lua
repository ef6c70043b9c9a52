-- ---- records, read once and written back by flush ------------------------------------

local TASKS, WORKERS, DIRTY, EV

-- A call starts with nothing read and no events: the library outlives its calls.
function T.fresh()
  TASKS, WORKERS, DIRTY = {}, {}, {}
  EV = {ready = false, freed = {}, freed_ids = {}, finished = {}, gone = {}}
end

local function load(cache, key_of, id)
  local record = cache[id]
  if record == nil then
    local flat = redis.call('HGETALL', key_of(id))
    record = false
    if #flat > 0 then
      record = {}
      for i = 1, #flat, 2 do record[flat[i]] = flat[i + 1] end
    end
    cache[id] = record
  end
  if record and not record._gone then return record end
  return nil
end

function T.task(id) return load(TASKS, K.task, id) end
function T.worker(id) return load(WORKERS, K.worker, id) end

-- Change a field of a loaded record (a number is kept as its exact decimal; nil deletes).
function T.set(record, field, value)
  if type(value) == 'number' then value = num(value) end
  record[field] = value
  local dirty = DIRTY[record]
  if dirty == nil then
    dirty = {}
    DIRTY[record] = dirty
  end
  dirty[field] = true
end

function T.create(cache, record)
  cache[record.id] = record
  local dirty = {}
  for field, value in pairs(record) do  -- T.set on each field, inlined: a record has ~30
    if type(value) == 'number' then record[field] = num(value) end
    dirty[field] = true
  end
  DIRTY[record] = dirty
end

local function flush_record(key, record, dirty)
  local sets, dels = {}, {}
  for field in pairs(dirty) do
    local value = record[field]
    if value == nil then dels[#dels + 1] = field else
      sets[#sets + 1] = field
      sets[#sets + 1] = value
    end
  end
  if #sets > 0 then redis.call('HSET', key, unpack(sets)) end
  if #dels > 0 then redis.call('HDEL', key, unpack(dels)) end
end

function T.flush()
  for id, t in pairs(TASKS) do
    if t and t._gone then
      redis.call('DEL', K.task(id), K.att(id), K.dependents(id), K.waiting(id))
    elseif t then
      if DIRTY[t] then flush_record(K.task(id), t, DIRTY[t]) end
      if t._att_dirty then
        redis.call('DEL', K.att(id))
        local encoded = {}
        for i, a in ipairs(t._att) do encoded[i] = T.encode_attempt(a) end
        if #encoded > 0 then redis.call('RPUSH', K.att(id), unpack(encoded)) end
        t._att_dirty = nil
      end
    end
  end
  for id, w in pairs(WORKERS) do
    if w and w._gone then
      redis.call('DEL', K.worker(id), K.leases(id))
      WORKERS[id] = false
    elseif w and DIRTY[w] then
      flush_record(K.worker(id), w, DIRTY[w])
    end
  end
  for id, t in pairs(TASKS) do
    if t and t._gone then TASKS[id] = false end
  end
  DIRTY = {}
end

-- ---- attempts: "number|lease|worker|started|expires|deadline|ended|outcome|reported" ----

function T.encode_attempt(a)
  return table.concat({
    num(a.number), a.secret, a.worker, num(a.started), num(a.expires), num(a.deadline),
    a.ended and num(a.ended) or '', a.outcome or '', a.reported and '1' or '',
  }, '|')
end

function T.attempts(t)
  if t._att == nil then
    t._att = {}
    for i, raw in ipairs(redis.call('LRANGE', K.att(t.id), 0, -1)) do
      local f = T.split(raw, '|')
      t._att[i] = {
        number = tonumber(f[1]), secret = f[2], worker = f[3], started = tonumber(f[4]),
        expires = tonumber(f[5]), deadline = tonumber(f[6]), ended = tonumber(f[7]),
        outcome = f[8] ~= '' and f[8] or nil, reported = f[9] == '1',
      }
    end
  end
  return t._att
end

function T.touch(t) t._att_dirty = true end

-- The live attempt, if the task is running (records.Task.lease).
function T.lease(t)
  local atts = T.attempts(t)
  local a = atts[#atts]
  if a and not a.outcome then return a end
  return nil
end

-- ---- deadlines (timers.py) ---------------------------------------------------------
-- A member per deadline set, as memory's heap holds one entry per add: the padded order it
-- was set in, the kind's letter, the key. Equal times then fire in that order, as there.

function T.timer(kind, key, when)
  local member = string.format('%016d', redis.call('INCR', K.tcount)) .. kind .. key
  redis.call('ZADD', K.timers, when, member)
end
