-- A look at a cart or one change to it, as memory's get_cart, add_item, set_quantity (and
-- remove_item, which is set 0) and clear make it. The cart is touched first, so a refused
-- change still postpones its expiry, as in memory. Returns the order id ("" while open) and
-- the lines.
-- KEYS: the cart, the live carts, the stock. ARGV[7..]: get, add, set or clear; the product;
-- the quantity; the refusal for an unknown product ("" if known); the most lines per cart;
-- the most units per line.
local OP, PRODUCT, QUANTITY, UNKNOWN = ARGV[7], ARGV[8], tonumber(ARGV[9]), ARGV[10]
local MAX_LINES, MAX_QUANTITY = tonumber(ARGV[11]), tonumber(ARGV[12])

local function quantity_of(lines, product)
  for _, line in ipairs(lines) do
    if line[1] == product then return line[2] end
  end
  return 0
end

-- Memory's Carts.check_line.
local function check_line(lines, product, quantity)
  if quantity > MAX_QUANTITY then refuse("QuantityLimit", {MAX_QUANTITY, quantity}) end
  if quantity_of(lines, product) == 0 and #lines >= MAX_LINES then
    refuse("LinesLimit", {MAX_LINES, product})
  end
end

-- Memory's Carts.set_line: a held line changes in place, a new one goes last, 0 removes it.
local function set_line(lines, product, quantity)
  for i, line in ipairs(lines) do
    if line[1] == product then
      if quantity == 0 then table.remove(lines, i) else line[2] = quantity end
      return
    end
  end
  if quantity ~= 0 then lines[#lines + 1] = {product, quantity} end
end

local function main()
  if OP == "get" then
    local cart = live_cart()
    return {cart.order, format(cart.lines)}
  end
  local cart = open_cart()
  if OP == "clear" then
    cart.lines = {}
  else
    refuse_as(UNKNOWN)
    local wanted = QUANTITY
    if OP == "add" then wanted = wanted + quantity_of(cart.lines, PRODUCT) end
    if OP == "add" or wanted ~= 0 then
      check_line(cart.lines, PRODUCT, wanted)
      require_stock(KEYS[3], {{PRODUCT, wanted}})
    end
    set_line(cart.lines, PRODUCT, wanted)
  end
  local lines = format(cart.lines)
  redis.call("HSET", KEYS[1], "lines", lines)
  return {"", lines}
end

return answer(main)
