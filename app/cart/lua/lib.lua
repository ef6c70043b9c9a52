-- What the cart scripts share; prepended to create.lua, cart.lua and checkout.lua.
-- Their ARGV begin alike: the keys' prefix, the store clock's now, the deadline a cart
-- touched now gets (now + ttl, added in Python so it is memory's very float), the caller's
-- principal id, "1" if the caller is admin, and the cart id. KEYS[1] is the cart, KEYS[2]
-- the live carts by deadline; a cart maker's carts (held:<maker>) are named from the prefix.
local PREFIX, NOW, DEADLINE = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local CALLER, ADMIN, CART_ID = ARGV[4], ARGV[5] == "1", ARGV[6]

-- Raised rather than returned, so a helper can refuse; answer() makes it the error reply.
-- (A raised {err = ...} would come back with the script's name appended.)
local function refuse(name, data)
  error({refusal = "E:" .. name .. ":" .. cjson.encode(data)})
end

-- A refusal Python decided from the arguments ("" for none), raised where memory raises it.
local function refuse_as(refusal)
  if refusal ~= "" then error({refusal = "E:" .. refusal}) end
end

local function answer(main)
  local ok, result = pcall(main)
  if ok then return result end
  if type(result) == "table" and result.refusal then return redis.error_reply(result.refusal) end
  error(result, 0)
end

-- owners.py's rule: an owner of "" is nobody, so anyone holding the id may use it.
local function may_use(owner)
  return owner == "" or owner == CALLER or ADMIN
end

-- A cart's lines are "product quantity product quantity ...", in line order (product ids
-- never hold a space); in Lua, a list of {product, quantity}.
local function parse(text)
  local lines, product = {}, nil
  for word in string.gmatch(text, "%S+") do
    if product then
      lines[#lines + 1] = {product, tonumber(word)}
      product = nil
    else
      product = word
    end
  end
  return lines
end

local function format(lines)
  local words = {}
  for i, line in ipairs(lines) do words[i] = line[1] .. " " .. string.format("%d", line[2]) end
  return table.concat(words, " ")
end

-- Forget an expired cart, and give its maker's place back.
local function drop(id, maker)
  redis.call("DEL", PREFIX .. "cart:" .. id)
  redis.call("ZREM", KEYS[2], id)
  redis.call("ZREM", PREFIX .. "held:" .. maker, id)
end

-- Memory's Carts.get: the live cart CART_ID, touched so it lives on, or CartNotFound alike
-- for an unknown, an expired and another principal's cart (which is not touched).
local function live_cart()
  local maker, owner, deadline, lines, order = unpack(
    redis.call("HMGET", KEYS[1], "maker", "owner", "deadline", "lines", "order"))
  if not maker then refuse("CartNotFound", CART_ID) end
  if NOW >= tonumber(deadline) then
    drop(CART_ID, maker)
    refuse("CartNotFound", CART_ID)
  end
  if not may_use(owner) then refuse("CartNotFound", CART_ID) end
  redis.call("HSET", KEYS[1], "deadline", DEADLINE)
  redis.call("ZADD", KEYS[2], DEADLINE, CART_ID)
  redis.call("ZADD", PREFIX .. "held:" .. maker, DEADLINE, CART_ID)
  return {owner = owner, lines = parse(lines), order = order}
end

-- Memory's Carts.get_open: CartClosed once the cart became an order.
local function open_cart()
  local cart = live_cart()
  if cart.order ~= "" then refuse("CartClosed", {CART_ID, cart.order}) end
  return cart
end

-- Memory's Stock.require: OutOfStock listing every line asking for more than is on hand,
-- counted as out_of_stock in the sales hash if one is given (a checkout's refusal).
local function require_stock(stock, lines, sales)
  local short = {}
  for _, line in ipairs(lines) do
    local available = tonumber(redis.call("HGET", stock, line[1]))
    if line[2] > available then short[#short + 1] = {line[1], line[2], available} end
  end
  if #short > 0 then
    if sales then redis.call("HINCRBY", sales, "out_of_stock", 1) end
    refuse("OutOfStock", short)
  end
end

