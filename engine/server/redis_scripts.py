"""The Lua scripts of the Redis session registry (:mod:`engine.server.redis_registry`).

Redis runs a script as one atomic step: no other client's command runs between its commands
(Redis's ``EVAL`` semantics). Each script reads Redis's own clock (``TIME``), so the
replicas' clocks never matter. What each one thereby guarantees:

* :data:`ADMIT` — dropping expired tickets, counting this replica's and the cluster's live
  and pending sessions and adding the new ticket are one step: replicas admitting at once never
  both take the last slot of a replica or of the cluster, and a replica that died mid-offer
  leaks no slot past its ticket's expiry.
* :data:`COUNTS` — live, pending and capacity come from one view of the cluster: a replica
  dying or a session starting meanwhile is counted wholly or not at all.
* :data:`BEAT` — refreshing this replica's heartbeat, writing its sessions and reaping dead
  replicas are one step: a dead replica's keys (sessions, owners, tickets, capacity) go at
  once, never half; a ``delta`` beat that finds its own heartbeat gone (Redis restarted, or it
  was reaped) writes nothing, so a reaped replica never reappears with part of its sessions
  and no capacity; a ``full`` beat makes the replica's entries its live sessions exactly.
* :data:`LEAVE` — a replica's keys go at once: nobody counts its sessions without its
  capacity, or the reverse.
"""

from __future__ import annotations

# What ADMIT and COUNTS begin with: counts(prefix, now_ms) over the live replicas returns
# {live, pending, cap}; now_ms() is Redis's clock. The scripts take no KEYS, only ARGV.
_COUNT = """
local function counts(prefix, now_ms)
  local live, pending, cap = 0, 0, 0
  local reps = redis.call('HGETALL', prefix .. 'replicas')
  for i = 1, #reps, 2 do
    local r = reps[i]
    if redis.call('EXISTS', prefix .. 'alive:' .. r) == 1 then
      live = live + redis.call('SCARD', prefix .. 'sessions:' .. r)
      pending = pending + redis.call('ZCOUNT', prefix .. 'pending:' .. r, now_ms, '+inf')
      cap = cap + tonumber(reps[i + 1])
    end
  end
  return {live, pending, cap}
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""

# ARGV: prefix, replica, capacity, cluster_cap (0: sum of live capacities), ticket, ttl_ms.
# Returns {status, local_used, cluster_used, cluster_cap}: 1 admitted, 0 replica full,
# -1 cluster full.
ADMIT = (
    _COUNT
    + """
local p, r, capacity, cluster_cap = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', p .. 'pending:' .. r, '-inf', now)
local used = redis.call('SCARD', p .. 'sessions:' .. r) + redis.call('ZCARD', p .. 'pending:' .. r)
local c = counts(p, now)
local limit = c[3]
if cluster_cap > 0 then limit = cluster_cap end
if used >= capacity then return {0, used, c[1] + c[2], limit} end
if c[1] + c[2] >= limit then return {-1, used, c[1] + c[2], limit} end
redis.call('ZADD', p .. 'pending:' .. r, now + tonumber(ARGV[6]), ARGV[5])
return {1, used + 1, c[1] + c[2] + 1, limit}
"""
)

# ARGV: prefix (the time is Redis's own). Returns {live, pending, cap}.
COUNTS = _COUNT + "return counts(ARGV[1], now_ms())\n"

# Heartbeat, reconciliation and reaping. ARGV: prefix, replica, capacity, ttl_ms, mode, n_add,
# session ids... In mode 'full' the ids are the replica's live sessions and its entries are
# made to match them: missing ones written (Redis lost them), others removed (a remove Redis did
# not answer). In mode 'delta' the first n_add ids are written and the rest removed (what changed
# since the last beat), nothing else of the replica's is touched; when the replica's heartbeat
# had gone (Redis restarted, or the key expired and the replica was reaped) it stops at once
# and returns {0}: the caller follows with a full beat. Returns {had_heartbeat (0/1), reaped
# replicas...}.
BEAT = """
local p, r, full = ARGV[1], ARGV[2], ARGV[5] == 'full'
local had = redis.call('SET', p .. 'alive:' .. r, '1', 'PX', tonumber(ARGV[4]), 'GET')
if not had and not full then return {0} end
local out = {had and 1 or 0}
local n_add = tonumber(ARGV[6])
local own = {}
for i = 7, 6 + n_add do
  own[ARGV[i]] = true
  redis.call('SADD', p .. 'sessions:' .. r, ARGV[i])
  redis.call('SET', p .. 'session:' .. ARGV[i], r)
end
local gone = {}
if full then
  redis.call('HSET', p .. 'replicas', r, ARGV[3])
  for _, s in ipairs(redis.call('SMEMBERS', p .. 'sessions:' .. r)) do
    if not own[s] then table.insert(gone, s) end
  end
else
  for i = 7 + n_add, #ARGV do table.insert(gone, ARGV[i]) end
end
for _, s in ipairs(gone) do
  redis.call('SREM', p .. 'sessions:' .. r, s)
  redis.call('DEL', p .. 'session:' .. s)
end
for _, other in ipairs(redis.call('HKEYS', p .. 'replicas')) do
  if redis.call('EXISTS', p .. 'alive:' .. other) == 0 then
    for _, s in ipairs(redis.call('SMEMBERS', p .. 'sessions:' .. other)) do
      redis.call('DEL', p .. 'session:' .. s)
    end
    redis.call('DEL', p .. 'sessions:' .. other, p .. 'pending:' .. other)
    redis.call('HDEL', p .. 'replicas', other)
    table.insert(out, other)
  end
end
return out
"""

# Leave the cluster (clean stop). ARGV: prefix, replica.
LEAVE = """
local p, r = ARGV[1], ARGV[2]
for _, s in ipairs(redis.call('SMEMBERS', p .. 'sessions:' .. r)) do
  redis.call('DEL', p .. 'session:' .. s)
end
redis.call('DEL', p .. 'sessions:' .. r, p .. 'pending:' .. r, p .. 'alive:' .. r)
redis.call('HDEL', p .. 'replicas', r)
return 1
"""
