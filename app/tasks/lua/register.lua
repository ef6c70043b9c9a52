-- workers.register (roster.RosterQueue.register, workers.Workers.register). Arguments:
-- worker id, name, types and queues (JSON lists, sorted), capacity, the token's digest.
-- At a cap the oldest offline worker in the way is forgotten; with none, a refusal.
return T.run(function()
  local held = tonumber(redis.call('HGET', K.wheld, CALLER) or '0')
  if held >= L.max_workers_owner then
    local oldest = T.oldest_offline(CALLER)
    if not oldest then
      T.refuse('QuotaExceeded', {resource = 'workers', limit = L.max_workers_owner, held = held})
    end
    T.remove_worker(oldest)
  end
  if redis.call('ZCARD', K.workers) >= L.max_workers then
    local oldest = T.oldest_offline(nil)
    if not oldest then T.refuse('Overloaded', {resource = 'workers', limit = L.max_workers}) end
    T.remove_worker(oldest)
  end
  local w = {
    id = arg(1), name = arg(2), types = arg(3), queues = arg(4), capacity = arg(5),
    owner = CALLER, digest = arg(6), registered_at = NOW_S, last_seen = NOW_S,
    health = 'online', order = redis.call('INCR', K.wseq),
  }
  T.create(WORKERS, w)
  redis.call('ZADD', K.workers, 0, w.id)
  redis.call('HINCRBY', K.wheld, CALLER, 1)
  T.timer('W', w.id, T.silent_since(w))
  return w.id
end)
