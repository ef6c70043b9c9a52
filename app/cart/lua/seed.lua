-- open: each product's stock from the catalog, unless Redis already has it (sold stock stays
-- sold across restarts, and replicas opening at once seed once), and its facts for orders,
-- always (the catalog file is their truth).
-- KEYS: the stock, the product facts. ARGV: product id, units at start, facts, per product.
for i = 1, #ARGV, 3 do
  redis.call("HSETNX", KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call("HSET", KEYS[2], ARGV[i], ARGV[i + 2])
end
return #ARGV / 3
