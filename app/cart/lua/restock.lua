-- restock: put more units on hand, never past the most a product may hold.
-- KEYS: the stock. ARGV: the product, the units to add, the most on hand.
local level = tonumber(redis.call("HGET", KEYS[1], ARGV[1]))
if level + tonumber(ARGV[2]) > tonumber(ARGV[3]) then
  return redis.error_reply("E:StockLimitExceeded:" .. ARGV[2])
end
return redis.call("HINCRBY", KEYS[1], ARGV[1], ARGV[2])
