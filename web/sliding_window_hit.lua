-- Count one event of a sliding window counter and read the window after it: one round trip.
--
-- The keys and the arithmetic are those of the limits library's sliding window counter, so this
-- script and the library's own reads (web.rate_limits.check) see the same counts. The library
-- needs two scripts, two round trips, for the same answer: one that counts and says only
-- "allowed or not", one that reads the window for the RateLimit headers.
--
-- KEYS[1]: the previous window's count; KEYS[2]: the current window's count, which lives for two
-- windows and becomes the previous one when the window moves on.
-- ARGV: the quota, the window in seconds, the cost of this event.
-- Returns {allowed (1 or 0), previous count, its TTL in ms, current count, its TTL in ms}.

local quota = tonumber(ARGV[1])
local window = tonumber(ARGV[2]) * 1000
local cost = tonumber(ARGV[3])

local ttl = redis.call('pttl', KEYS[2])
if ttl > 0 and ttl < window then
    -- The current window is over: it becomes the previous one, and a new one starts at 0.
    redis.call('rename', KEYS[2], KEYS[1])
    redis.call('set', KEYS[2], 0, 'PX', ttl + window)
end

local function count_and_ttl(key)
    return tonumber(redis.call('get', key)) or 0, math.max(0, redis.call('pttl', key))
end

local previous, previous_ttl = count_and_ttl(KEYS[1])
local current, current_ttl = count_and_ttl(KEYS[2])
local weighted = math.floor(previous * previous_ttl / window) + current

if cost > quota or weighted + cost > quota then
    return {0, previous, previous_ttl, current, current_ttl}
end
if redis.call('exists', KEYS[2]) == 1 then
    redis.call('incrby', KEYS[2], cost)
else
    redis.call('set', KEYS[2], cost, 'PX', window * 2)
end
current, current_ttl = count_and_ttl(KEYS[2])
return {1, previous, previous_ttl, current, current_ttl}
