-- Give back, uncharged, what a claim or serve whose caller went away may have leased (its
-- reply was lost with it). Arguments: the seed its lease ids were made from, then the
-- workers it leased to.
return T.run(function()
  for i = 2, #ARGV - HEAD do
    for _, task_id in ipairs(redis.call('SMEMBERS', K.leases(arg(i)))) do
      local t = T.task(task_id)
      local a = T.lease(t)
      if a and a.secret == T.lease_id(arg(1), t.id, a.number) then
        T.release(t, a, false)
        a.reported = true
      end
    end
  end
  return ''
end)
