-- What every task operation shares: the lib_*.lua files, this one first. With the
-- operations they make one Redis Functions library (app/tasks/redis_scripts.py), loaded
-- once; T.begin sets each call's header before its operation runs. They are memory's pure
-- core (state.py, expiry.py, deps.py, cache.py, budget.py, workers.py) over Redis keys:
-- records are read once into tables, changed there and written back at the end
-- (lib_records' flush), so a refusal, raised before any change, leaves them as they were.
--
-- ARGV begins with a header (redis_scripts.Scripts.run): the keys' prefix, the store
-- clock's now, this replica's id (its wake-ups are its own: it reacts to the reply), "1" while
-- it drains, the caller's principal id, "1" for admin, the anonymous principal's id, a secret
-- seed (for lease ids), a seed for backoff jitter, then the limits (one argument, numbers
-- separated by spaces). An operation's own arguments follow (arg(i)).
-- KEYS[1] is the timers key: a script's keys all share its hash tag.
local KEYS, ARGV, P, NOW_S, NOW, ORIGIN, DRAINING, CALLER, ADMIN, ANON, SEED, LIMITS_SENT
local L = {}
local LIMITS = {
  'lease_ttl', 'heartbeat', 'retry_base', 'retry_max', 'pending_ttl', 'max_payload', 'kept',
  'cache_entries', 'cache_bytes', 'max_workers', 'max_workers_owner', 'max_tasks',
  'max_tasks_owner', 'max_bytes', 'max_bytes_owner', 'submit_bytes', 'dependency_bytes',
  'free_releases', 'missed', 'forget_after', 'window',
}
local HEAD = 10

local function arg(i) return ARGV[HEAD + i] end
local function num(x) return string.format('%.17g', x) end

local K = {}
local KEY_NAMES = {
  tcount = 'timers:count', announced = 'timers:announced', channel = 'wake',
  all = 'all', seq = 'seq', idem = 'idempotency', heaps = 'heaps',
  bytes = 'bytes', otasks = 'owner:tasks', obytes = 'owner:bytes',
  cache = 'cache', corder = 'cache:order', cseq = 'cache:seq',
  cbytes = 'cache:bytes', expired = 'expired', expired_all = 'expired:all',
  recent = 'recent', rseq = 'recent:seq', workers = 'workers',
  offline = 'offline', wheld = 'owner:workers', wseq = 'worker:seq',
  census = 'census', states = 'census:states', queues = 'census:queues',
  since = 'census:since', oldest = 'oldest', tallies = 'tallies',
}
function K.task(id) return P .. 'task:' .. id end
function K.att(id) return P .. 'attempts:' .. id end
function K.dependents(id) return P .. 'dependents:' .. id end
function K.waiting(id) return P .. 'waiting_on:' .. id end
function K.owned(owner) return P .. 'owned:' .. owner end
function K.ready(pair) return P .. 'ready:' .. pair end
function K.worker(id) return P .. 'worker:' .. id end
function K.leases(id) return P .. 'leases:' .. id end
function K.pending(queue) return P .. 'pending:' .. queue end

local T = {}

-- The call's header. The key names and limits are read again only when they change, as
-- they do only between stores (a library serves every store on this Redis).
function T.begin(keys, args)
  KEYS, ARGV = keys, args
  NOW_S = args[2]
  NOW = tonumber(NOW_S)
  ORIGIN, DRAINING, CALLER = args[3], args[4] == '1', args[5]
  ADMIN, ANON, SEED = args[6] == '1', args[7], args[8]
  math.randomseed(tonumber(args[9]))
  K.timers = keys[1]
  if P ~= args[1] then
    P = args[1]
    for field, name in pairs(KEY_NAMES) do K[field] = P .. name end
  end
  if LIMITS_SENT ~= args[10] then
    LIMITS_SENT = args[10]
    local values = T.split(LIMITS_SENT, ' ')
    for i, name in ipairs(LIMITS) do L[name] = tonumber(values[i]) end
  end
end

local TERMINAL = {succeeded = true, failed = true, cancelled = true, dead = true}
local FAILED_UPSTREAM = {failed = true, cancelled = true, dead = true}
local WORKED = {succeeded = true, failed = true, dead = true}
local WAITING = {blocked = true, scheduled = true, pending = true}

-- Raised rather than returned, so a helper can refuse; T.run makes it the error reply.
-- (A raised {err = ...} would come back with the script's name appended.)
function T.refuse(name, data)
  error({refusal = 'E:' .. name .. ':' .. cjson.encode(data)})
end

function T.split(s, sep)
  local out, start = {}, 1
  if s == nil or s == '' then return out end
  while true do
    local i = string.find(s, sep, start, true)
    if not i then
      out[#out + 1] = string.sub(s, start)
      return out
    end
    out[#out + 1] = string.sub(s, start, i - 1)
    start = i + 1
  end
end
