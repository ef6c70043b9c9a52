-- checkout, as memory's: a replay of the caller's key first (it answers even once the cart has
-- closed or expired), then the open cart, CartEmpty, every short line, the card's decline;
-- then, with nothing left that can fail, the stock taken, the order kept, the key recorded
-- and the cart closed. Returns the order's head and lines.
-- KEYS: the cart, the live carts, the stock, the product facts, the orders by caller and key,
-- the new order, the sales (counts of orders, "cents:<currency>" and out_of_stock).
-- ARGV[7..]: the caller's key scoped to the caller, the key as given, the new order's id and
-- head (JSON: its id, cart, currency, payment, time), the decline ("" if approved), and the
-- currency.
local SCOPED_KEY, KEY, ORDER_ID, HEAD, DECLINED = ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
local CURRENCY = ARGV[12]

-- Memory's Orders.replay: the order this key of the caller's made, if it made one.
local function replay()
  local order_id = redis.call("HGET", KEYS[5], SCOPED_KEY)
  if not order_id then return nil end
  local owner, cart_id, head, lines = unpack(
    redis.call("HMGET", PREFIX .. "order:" .. order_id, "owner", "cart", "head", "lines"))
  -- The other cart's id may be its credential: say which key, not which cart.
  if cart_id ~= CART_ID then refuse("IdempotencyKeyReused", KEY) end
  if not may_use(owner) then refuse("CartNotFound", CART_ID) end
  return {head, lines}
end

local function main()
  local replayed = replay()
  if replayed then return replayed end
  local cart = open_cart()
  if #cart.lines == 0 then refuse("CartEmpty", CART_ID) end
  require_stock(KEYS[3], cart.lines, KEYS[7])
  refuse_as(DECLINED)
  -- Each order line: the product's facts (JSON written by open) and the quantity sold. Its
  -- unit price has exactly two decimals (money.to_wire), so without the point it is whole
  -- cents, which add up exactly in a Lua number (below 2^53) and in HINCRBY.
  local sold, cents = {}, 0
  for i, line in ipairs(cart.lines) do
    redis.call("HINCRBY", KEYS[3], line[1], -line[2])
    local facts = redis.call("HGET", KEYS[4], line[1])
    sold[i] = "[" .. facts .. "," .. string.format("%d", line[2]) .. "]"
    local price = string.gsub(cjson.decode(facts).unit_price, "%.", "")
    cents = cents + tonumber(price) * line[2]
  end
  redis.call("HINCRBY", KEYS[7], "orders", 1)
  redis.call("HINCRBY", KEYS[7], "cents:" .. CURRENCY, string.format("%d", cents))
  local lines = "[" .. table.concat(sold, ",") .. "]"
  -- The order is its cart's owner's, whoever paid.
  redis.call("HSET", KEYS[6], "owner", cart.owner, "cart", CART_ID, "head", HEAD, "lines", lines)
  redis.call("HSET", KEYS[5], SCOPED_KEY, ORDER_ID)
  redis.call("HSET", KEYS[1], "order", ORDER_ID)
  return {HEAD, lines}
end

return answer(main)
