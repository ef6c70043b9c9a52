-- create_cart, as memory's Carts.create: the caller's quota first (its own to free), then the
-- shared cap, both counted over live carts only (deadline after now), so an expired cart
-- stops counting whether or not it has been swept yet.
-- KEYS: the new cart, the live carts, the caller's carts. ARGV[7..]: the cart's owner ("" for
-- nobody), the most carts in all, the most carts per caller.
local OWNER, MAX_CARTS, MAX_PER_OWNER = ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local SWEEP = 100  -- expired carts forgotten per call: enough to keep up, short enough to block no one

local function main()
  local expired = redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", ARGV[2], "LIMIT", 0, SWEEP)
  for _, id in ipairs(expired) do
    drop(id, redis.call("HGET", PREFIX .. "cart:" .. id, "maker"))
  end
  local live = "(" .. ARGV[2]
  local held = redis.call("ZCOUNT", KEYS[3], live, "+inf")
  if held >= MAX_PER_OWNER then refuse("QuotaExceeded", {MAX_PER_OWNER, held}) end
  if redis.call("ZCOUNT", KEYS[2], live, "+inf") >= MAX_CARTS then refuse("Overloaded", "") end
  redis.call("HSET", KEYS[1], "maker", CALLER, "owner", OWNER, "deadline", DEADLINE,
    "lines", "", "order", "")
  redis.call("ZADD", KEYS[2], DEADLINE, CART_ID)
  redis.call("ZADD", KEYS[3], DEADLINE, CART_ID)
  return {"", ""}
end

return answer(main)
