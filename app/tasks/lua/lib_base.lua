-- What every task script shares: the lib_*.lua files, this one first, prepended to each
-- (see app/tasks/redis_scripts.py). They are memory's pure core (state.py, expiry.py,
-- deps.py, cache.py, budget.py, workers.py) over Redis keys: records are read once into
-- tables, changed there and written back at the end (lib_records' flush), so a refusal,
-- raised before any change, leaves them as they were.
--
-- ARGV begins with a header (redis_scripts.Scripts.run): the keys' prefix, the store clock's
-- now, this replica's id (its wake-ups are its own: it reacts to the reply), "1" while it drains,
-- the caller's principal id, "1" for admin, the anonymous principal's id, a secret seed (for
-- lease ids), a seed for backoff jitter, then the limits. An operation's own arguments follow
-- (arg(i)).
-- KEYS[1] is the timers key: a script's keys all share its hash tag.
local P = ARGV[1]
local NOW_S = ARGV[2]
local NOW = tonumber(NOW_S)
local ORIGIN = ARGV[3]
local DRAINING = ARGV[4] == '1'
local CALLER = ARGV[5]
local ADMIN = ARGV[6] == '1'
local ANON = ARGV[7]
local SEED = ARGV[8]
math.randomseed(tonumber(ARGV[9]))
local L = {}
do
  local names = {
    'lease_ttl', 'heartbeat', 'retry_base', 'retry_max', 'pending_ttl', 'max_payload', 'kept',
    'cache_entries', 'cache_bytes', 'max_workers', 'max_workers_owner', 'max_tasks',
    'max_tasks_owner', 'max_bytes', 'max_bytes_owner', 'submit_bytes', 'dependency_bytes',
    'free_releases', 'missed', 'forget_after', 'window',
  }
  for i, name in ipairs(names) do L[name] = tonumber(ARGV[9 + i]) end
end
local HEAD = 30

local function arg(i) return ARGV[HEAD + i] end
local function num(x) return string.format('%.17g', x) end

local K = {
  timers = KEYS[1], tcount = P .. 'timers:count',
  announced = P .. 'timers:announced', channel = P .. 'wake',
  all = P .. 'all', seq = P .. 'seq', idem = P .. 'idempotency', heaps = P .. 'heaps',
  bytes = P .. 'bytes', otasks = P .. 'owner:tasks', obytes = P .. 'owner:bytes',
  cache = P .. 'cache', corder = P .. 'cache:order', cseq = P .. 'cache:seq',
  cbytes = P .. 'cache:bytes', expired = P .. 'expired', expired_all = P .. 'expired:all',
  recent = P .. 'recent', rseq = P .. 'recent:seq', workers = P .. 'workers',
  offline = P .. 'offline', wheld = P .. 'owner:workers', wseq = P .. 'worker:seq',
}
function K.task(id) return P .. 'task:' .. id end
function K.att(id) return P .. 'attempts:' .. id end
function K.dependents(id) return P .. 'dependents:' .. id end
function K.waiting(id) return P .. 'waiting_on:' .. id end
function K.owned(owner) return P .. 'owned:' .. owner end
function K.ready(pair) return P .. 'ready:' .. pair end
function K.worker(id) return P .. 'worker:' .. id end
function K.leases(id) return P .. 'leases:' .. id end

local TERMINAL = {succeeded = true, failed = true, cancelled = true, dead = true}
local FAILED_UPSTREAM = {failed = true, cancelled = true, dead = true}
local WORKED = {succeeded = true, failed = true, dead = true}
local WAITING = {blocked = true, scheduled = true, pending = true}

local T = {}

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
