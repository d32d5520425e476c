//! The Lua scripts of the core layer: capacity is checked and the message
//! added in one atomic step, as channels_redis checks it.

use std::sync::LazyLock;

use redis::Script;

/// `send`: drop expired messages, refuse when the channel holds its
/// capacity, else add the message and push the key's expiry back.
///
/// channels_redis runs the same four commands one by one; run as one
/// script they cost one round trip and cannot let two senders both take
/// the last place.
///
/// KEYS: the channel key. ARGV: message, now, prune-before, capacity,
/// expiry in seconds. Returns 1 if queued, 0 if full.
pub(crate) static SEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[3])
if redis.call('ZCOUNT', KEYS[1], '-inf', '+inf') >= tonumber(ARGV[4]) then
    return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
",
    )
});

/// `group_send` on one shard: channels_redis's script, with its pipelined
/// expiry pass folded in.
///
/// KEYS: the channel keys. ARGV: one message per key, one capacity per
/// key, then now, prune-before and expiry in seconds. Returns the 1-based
/// positions of the keys that were full.
pub(crate) static GROUP_SEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = #KEYS
local now = ARGV[2 * n + 1]
local prune_before = ARGV[2 * n + 2]
local expiry = ARGV[2 * n + 3]
local full = {}
for i = 1, n do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, prune_before)
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[n + i]) then
        redis.call('ZADD', KEYS[i], now, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        full[#full + 1] = i
    end
end
return full
",
    )
});

/// `group_send`'s first step: drop memberships past the group expiry and
/// list the rest. KEYS: the group key. ARGV: prune-before.
pub(crate) static MEMBERS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
",
    )
});

/// `flush`: delete every key under the prefix, 5000 at a time, as
/// channels_redis does. ARGV: the pattern.
pub(crate) static FLUSH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local keys = redis.call('KEYS', ARGV[1])
for i = 1, #keys, 5000 do
    redis.call('DEL', unpack(keys, i, math.min(i + 4999, #keys)))
end
return #keys
",
    )
});
