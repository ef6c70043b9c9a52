-- Where a topic is now, and what it keeps after a position: read at one instant.
--
-- KEYS     the topic's epoch, seq and log (see publish.lua)
-- ARGV     epoch (if the topic has none yet), ttl_s, the position's epoch ("" = none), the
--          first offset to read
-- Returns  {epoch, last offset, the log's entries from that offset}; none for another epoch
-- A topic never published gets its epoch here, so that positions in it hold until it expires.

redis.call("SET", KEYS[1], ARGV[1], "NX", "EX", ARGV[2])
local epoch = redis.call("GET", KEYS[1])
local newest = redis.call("GET", KEYS[2]) or "0"
local entries = {}
if ARGV[3] == epoch then
    entries = redis.call("XRANGE", KEYS[3], ARGV[4], "+")
end
return {epoch, newest, entries}
