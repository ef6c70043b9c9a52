-- Charge one request's calls to one caller: the GCRA of app/limits/gcra.py, step for step and in
-- the same float operations, so that this backend and the memory one agree to the last bit.
--
-- KEYS[1]  the caller's theoretical arrival time (TAT), "%.17g"; absent = a whole allowance
-- ARGV     now, interval, burst, slack, idle_grace_ms, then each call's cost in order
-- Returns  {allowed, retry_after_s}, as strings (a float returned as a number would be truncated)

local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local slack = tonumber(ARGV[4])
local idle_grace_ms = tonumber(ARGV[5])
local first_cost = 6

local horizon = now + burst * interval
local tat = tonumber(redis.call("GET", KEYS[1]) or ARGV[1])
local clamped = false
-- Never earlier than now, and never past the horizon (where a clock set back leaves it).
if tat < now then
    tat = now
elseif tat > horizon then
    tat, clamped = horizon, true
end

local limit = horizon + slack
local allowed, retry_after = 0, 0
local total = 0
for i = first_cost, #ARGV do
    total = total + tonumber(ARGV[i])
end
if tat + total * interval <= limit then -- all of them fit: no call is dearer than all
    allowed, tat = #ARGV - first_cost + 1, tat + total * interval
else
    for i = first_cost, #ARGV do
        local cost = tonumber(ARGV[i])
        -- A call dearer than the whole burst could never fit: it takes the whole burst.
        if cost >= burst then
            cost = burst
        end
        local after = tat + cost * interval
        if after > limit then
            retry_after = after - horizon
            break
        end
        tat, allowed = after, allowed + 1
    end
end

if allowed > 0 or clamped then
    -- The key goes once the allowance is whole again (absent means as much), plus a grace for
    -- replicas whose clocks run ahead of Redis's.
    local ttl_ms = math.ceil((tat - now) * 1000) + idle_grace_ms
    redis.call("SET", KEYS[1], string.format("%.17g", tat), "PX", string.format("%d", ttl_ms))
end
return {string.format("%d", allowed), string.format("%.17g", retry_after)}
