-- Publish one event: the topic's next offset, kept in its Stream and sent to every replica.
--
-- KEYS     the topic's epoch, seq (its last offset) and log (a Stream, ids "<offset>-0")
-- ARGV     epoch (if the topic has none yet), history (events kept), ttl_s, channel, tag (the
--          publisher's, to know its own event when it comes back), topic, data (JSON)
-- Returns  the event's offset
-- The data stays a string from end to end: decoded in Lua, a number would lose digits.

redis.call("SET", KEYS[1], ARGV[1], "NX")
local offset = string.format("%d", redis.call("INCR", KEYS[2]))
-- MAXLEN without "~" trims exactly; MAXLEN 0 keeps nothing but the count goes on.
redis.call("XADD", KEYS[3], "MAXLEN", ARGV[2], offset .. "-0", "d", ARGV[7])
for i = 1, 3 do
    redis.call("EXPIRE", KEYS[i], ARGV[3])
end
-- "<tag> <offset> <topic's length> <topic><data>": a topic may hold any byte, spaces too.
redis.call("PUBLISH", ARGV[4], ARGV[5] .. " " .. offset .. " " .. #ARGV[6] .. " " .. ARGV[6] .. ARGV[7])
return offset
