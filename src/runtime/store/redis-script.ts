/**
 * The Lua side of RedisStore: the algorithm of `store.ts`, one script per operation, so each
 * operation is one atomic step inside Redis. Kept as string constants because tsc does not copy
 * `.lua` files to dist.
 *
 * Calling convention (no KEYS; every key is built from the prefix): ARGV[1] = key prefix,
 * ARGV[2] = the clock in epoch ms, or "" to use the server's TIME, ARGV[3] = the request as JSON;
 * reserve only: ARGV[4] = its counters as JSON (kept verbatim in the reservation record).
 *
 * Layout, after the prefix (the `KEYS` helpers of `store.ts`):
 * - `b:<key>` hash: a = tokens | used, b = last refill (ms) | window, e = expiry (ms)
 * - `a:<id>` hash: id, rec (the record's own fields as JSON, written by the client and never decoded
 *   here, so arguments round-trip exactly), binding, principal, createdAt, expiresAt, status,
 *   approver, decidedAt, e
 * - `ab:<hash>` hash: id, e
 * - `al:` sorted set: approval ids scored by their `a:` key's expiry `e` (listApprovals' index)
 * - `i:<key>` hash: f = fingerprint, t = the owner's token, s = state (pending | committed | rolled_back), e
 * - `r:<id>` string (one SET, one GET: it is written on every reserve): five fields joined by "\n":
 *   state (`p` pending | `c` cancelled), e, the windows ("1,2,3"), the counters exactly as the client sent
 *   them (JSON: ARGV[4] of the reserve), and last the `i:` key or "" (last, since a prefix may hold "\n")
 *
 * Every key carries its expiry `e` in the store's clock, and liveness is judged on `e` (as MemoryStore
 * does), so an injected test clock behaves exactly like MemoryStore's; every key written also gets
 * a Redis TTL of `e - now` (PEXPIRE), so nothing outlives its use. Numbers are written and returned as
 * `%.17g` strings, which round-trip doubles exactly (Lua's tostring and cjson keep only 14 digits).
 */
import { TTL_GRACE_MS } from "./store.js";

const PRELUDE = `
local P = ARGV[1]
local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  -- Redis < 5 needs effects replication to write after TIME; from Redis 5 on it is the default.
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local GRACE = ${TTL_GRACE_MS}

local function fmt(x) return string.format('%.17g', x) end

-- Give a key written by this script its TTL, ending at 'at' (store clock); gone at once when past.
local function expire(key, at)
  local ms = math.ceil(at - now)
  if ms > 0 then redis.call('PEXPIRE', key, fmt(ms)) else redis.call('DEL', key) end
end

-- The fields of a live hash (v[1] = e, then the fields asked for), or nil when absent or expired.
local function live(key, ...)
  local v = redis.call('HMGET', key, 'e', ...)
  if not v[1] or tonumber(v[1]) <= now then return nil end
  return v
end

local function approval(key)
  local v = live(key, 'id', 'rec', 'binding', 'principal', 'createdAt', 'expiresAt', 'status', 'approver', 'decidedAt')
  if not v then return nil end
  return { id = v[2], rec = v[3], binding = v[4], principal = v[5], createdAt = v[6], expiresAt = v[7],
    status = v[8], approver = v[9] or nil, decidedAt = v[10] or nil }
end

-- A live reservation record: state, e, windows, counters JSON, idempotency key; or nil.
local function reservation(key)
  local v = redis.call('GET', key)
  if not v then return nil end
  local a = string.find(v, '\\n', 1, true)
  local b = string.find(v, '\\n', a + 1, true)
  local c = string.find(v, '\\n', b + 1, true)
  local d = string.find(v, '\\n', c + 1, true)
  local e = tonumber(string.sub(v, a + 1, b - 1))
  if e <= now then return nil end
  return { s = string.sub(v, 1, a - 1), e = e, w = string.sub(v, b + 1, c - 1), c = string.sub(v, c + 1, d - 1),
    ik = string.sub(v, d + 1) }
end

-- Write a reservation record that lives until 'at' (store clock).
local function putReservation(key, state, at, w, counters, ik)
  local ms = math.ceil(at - now)
  if ms > 0 then
    redis.call('SET', key, state .. '\\n' .. fmt(at) .. '\\n' .. w .. '\\n' .. counters .. '\\n' .. ik, 'PX', fmt(ms))
  else
    redis.call('DEL', key)
  end
end

-- The approval index (listApprovals): a sorted set of ids scored by their key's expiry, pruned of
-- expired entries, living as long as its latest entry.
local function indexApproval(id, gone)
  local ix = P .. 'al:'
  redis.call('ZREMRANGEBYSCORE', ix, '-inf', fmt(now))
  redis.call('ZADD', ix, fmt(gone), id)
  local last = redis.call('ZRANGE', ix, -1, -1, 'WITHSCORES')
  expire(ix, tonumber(last[2]))
end

-- An approval as answered to the client (the client rebuilds the ApprovalRecord).
local function out(a)
  return { rec = a.rec, createdAt = a.createdAt, expiresAt = a.expiresAt, status = a.status,
    approver = a.approver, decidedAt = a.decidedAt }
end
`;

/** reserve: steps 0-4 of the contract. Answers JSON: { s, now, ... } (see redis.ts). */
export const RESERVE_LUA = `${PRELUDE}
local req = cjson.decode(ARGV[3])
local N = fmt(now)

-- 0. A reservation its caller already cancelled changes nothing.
local res = req.r
local rk
if res then
  rk = P .. 'r:' .. res.id
  if reservation(rk) then return cjson.encode({ s = 'cancelled', now = N }) end
end

-- 1. Idempotency.
local idem = req.i
local ik
if idem then
  ik = P .. 'i:' .. idem.key
  local r = live(ik, 'f', 's')
  if r then
    if r[2] ~= idem.f then return cjson.encode({ s = 'idempotency_conflict', now = N }) end
    return cjson.encode({ s = 'replay', now = N, state = r[3] })
  end
end

-- 2. Approval.
local approved
local ap = req.a
if ap then
  local bk = P .. 'ab:' .. ap.binding
  local b = live(bk, 'id')
  local rec
  if b then rec = approval(P .. 'a:' .. b[2]) end
  if not rec or tonumber(rec.expiresAt) <= now then
    local expiresAt = now + ap.ttl
    local gone = expiresAt + GRACE
    local ak = P .. 'a:' .. ap.id
    local created = { id = ap.id, rec = ap.rec, binding = ap.rb, principal = ap.principal,
      createdAt = N, expiresAt = fmt(expiresAt), status = 'pending' }
    redis.call('DEL', ak)
    redis.call('HSET', ak, 'e', fmt(gone), 'id', created.id, 'rec', created.rec, 'binding', created.binding,
      'principal', created.principal, 'createdAt', created.createdAt, 'expiresAt', created.expiresAt,
      'status', 'pending')
    expire(ak, gone)
    redis.call('HSET', bk, 'e', fmt(gone), 'id', ap.id)
    expire(bk, gone)
    indexApproval(ap.id, gone)
    return cjson.encode({ s = 'approval_pending', now = N, approval = out(created), created = true })
  end
  if rec.status == 'pending' then
    return cjson.encode({ s = 'approval_pending', now = N, approval = out(rec), created = false })
  end
  if rec.status == 'rejected' then
    return cjson.encode({ s = 'approval_rejected', now = N, approval = out(rec) })
  end
  approved = rec
end

-- 3. Check every counter before writing any.
local cs = cjson.decode(ARGV[4])
local n = #cs
local vals, wins = {}, {}
for i = 1, n do
  local c = cs[i]
  local v = live(P .. 'b:' .. c.key, 'a', 'b')
  if c.mode == 'bucket' then
    local rate = c.rate
    local tokens = c.limit
    if v then tokens = math.min(c.limit, tonumber(v[2]) + (now - tonumber(v[3])) * rate) end
    if tokens < c.amount then
      return cjson.encode({ s = 'exceeded', now = N, index = i - 1, used = fmt(c.limit - tokens),
        retry = fmt(math.ceil((c.amount - tokens) / rate)) })
    end
    wins[i] = 0
    vals[i] = tokens
  else
    local w = 0
    local o = c.windowOriginMs or 0
    if c.windowMs > 0 then w = math.floor((now - o) / c.windowMs) end
    local used = 0
    if v and tonumber(v[3]) == w then used = tonumber(v[2]) end
    if used >= c.limit or used + c.amount > c.limit then
      local retry
      if c.windowMs > 0 then retry = fmt(o + (w + 1) * c.windowMs - now) end
      return cjson.encode({ s = 'exceeded', now = N, index = i - 1, used = fmt(used), retry = retry })
    end
    wins[i] = w
    vals[i] = used
  end
end

-- 4. Apply.
local ws = {}
for i = 1, n do
  local c = cs[i]
  local key = P .. 'b:' .. c.key
  local e
  if c.mode == 'bucket' then
    e = now + math.ceil(c.limit / c.rate) + GRACE
    redis.call('HSET', key, 'a', fmt(vals[i] - c.amount), 'b', N, 'e', fmt(e))
  else
    if c.windowMs > 0 then e = (c.windowOriginMs or 0) + (wins[i] + 1) * c.windowMs + GRACE else e = now + c.ttlMs end
    redis.call('HSET', key, 'a', fmt(vals[i] + c.amount), 'b', fmt(wins[i]), 'e', fmt(e))
  end
  expire(key, e)
  ws[i] = fmt(wins[i])
end
local w = table.concat(ws, ',')
if approved then
  redis.call('DEL', P .. 'a:' .. approved.id)
  redis.call('DEL', P .. 'ab:' .. approved.binding)
  redis.call('ZREM', P .. 'al:', approved.id)
end
if idem then
  local e = now + idem.ttl
  redis.call('HSET', ik, 'f', idem.f, 't', idem.t, 's', 'pending', 'e', fmt(e))
  expire(ik, e)
end
if res then putReservation(rk, 'p', now + res.ttl, w, ARGV[4], ik or '') end
local aid
if approved then aid = approved.id end
return cjson.encode({ s = 'ok', now = N, w = w, aid = aid })
`;

/** settle: answers 1 when applied, 0 when the idempotency record is not the caller's or already settled. */
export const SETTLE_LUA = `${PRELUDE}
local req = cjson.decode(ARGV[3])
local idem = req.i
local ik, rec
if idem then
  ik = P .. 'i:' .. idem.key
  rec = live(ik, 't', 's')
  if rec and (rec[2] ~= idem.t or rec[3] ~= 'pending') then return 0 end
end
for _, adj in ipairs(req.adj) do
  local key = P .. 'b:' .. adj.key
  local v = live(key, 'a', 'b')
  if adj.mode == 'bucket' then
    if v then
      local limit = adj.limit
      local tokens = math.min(limit, math.min(limit, tonumber(v[2]) + (now - tonumber(v[3])) * adj.rate) - adj.delta)
      -- The key keeps its expiry (HSET leaves the TTL alone), as MemoryStore keeps the slot's.
      redis.call('HSET', key, 'a', fmt(tokens), 'b', fmt(now))
    end
  else
    local w = 0
    local o = adj.windowOriginMs or 0
    if adj.windowMs > 0 then w = math.floor((now - o) / adj.windowMs) end
    if w == adj.window then
      local used = 0
      if v and tonumber(v[3]) == w then used = tonumber(v[2]) end
      local e
      if adj.windowMs > 0 then e = o + (w + 1) * adj.windowMs + GRACE else e = now + adj.ttlMs end
      redis.call('HSET', key, 'a', fmt(math.max(0, used + adj.delta)), 'b', fmt(w), 'e', fmt(e))
      expire(key, e)
    end
  end
end
if rec then
  -- The record keeps its TTL: a settled key never admits another call.
  if idem.action == 'commit' then redis.call('HSET', ik, 's', 'committed') else redis.call('HSET', ik, 's', 'rolled_back') end
end
return 1
`;

/** cancel: answers 1 when it gave a reservation back, 0 otherwise (tombstone written, or already cancelled). */
export const CANCEL_LUA = `${PRELUDE}
local req = cjson.decode(ARGV[3])
local rk = P .. 'r:' .. req.id
local v = reservation(rk)
if not v then
  putReservation(rk, 'c', now + req.ttl, '', '[]', '')
  return 0
end
if v.s ~= 'p' then return 0 end
local wins = {}
for x in string.gmatch(v.w, '[^,]+') do wins[#wins + 1] = tonumber(x) end
for i, c in ipairs(cjson.decode(v.c)) do
  local amount = c.amount
  if amount ~= 0 then
    local key = P .. 'b:' .. c.key
    local cur = live(key, 'a', 'b')
    local limit = c.limit
    if c.mode == 'bucket' then
      if cur then
        local tokens = math.min(limit, math.min(limit, tonumber(cur[2]) + (now - tonumber(cur[3])) * c.rate) + amount)
        -- The key keeps its expiry (HSET leaves the TTL alone).
        redis.call('HSET', key, 'a', fmt(tokens), 'b', fmt(now))
      end
    else
      local w = 0
      local o = c.windowOriginMs or 0
      if c.windowMs > 0 then w = math.floor((now - o) / c.windowMs) end
      if w == wins[i] then
        local used = 0
        if cur and tonumber(cur[3]) == w then used = tonumber(cur[2]) end
        local e
        if c.windowMs > 0 then e = o + (w + 1) * c.windowMs + GRACE else e = now + c.ttlMs end
        redis.call('HSET', key, 'a', fmt(math.max(0, used - amount)), 'b', fmt(w), 'e', fmt(e))
        expire(key, e)
      end
    end
  end
end
putReservation(rk, 'c', v.e, '', '[]', '')
if v.ik ~= '' and live(v.ik, 's') then redis.call('HSET', v.ik, 's', 'rolled_back') end
return 1
`;

/** decideApproval: answers JSON { s, approval? }. */
export const DECIDE_LUA = `${PRELUDE}
local d = cjson.decode(ARGV[3])
local key = P .. 'a:' .. d.id
local a = approval(key)
if not a then return cjson.encode({ s = 'unknown' }) end
if tonumber(a.expiresAt) <= now then return cjson.encode({ s = 'expired', approval = out(a) }) end
if a.status ~= 'pending' then return cjson.encode({ s = 'not_pending', approval = out(a) }) end
if not d.allowSelf and d.approver == a.principal then
  return cjson.encode({ s = 'self_approval', approval = out(a) })
end
a.status = d.approve and 'approved' or 'rejected'
a.approver = d.approver
a.decidedAt = fmt(now)
-- The key keeps its expiry (HSET leaves the TTL alone).
redis.call('HSET', key, 'status', a.status, 'approver', a.approver, 'decidedAt', a.decidedAt)
return cjson.encode({ s = a.status, approval = out(a) })
`;

/**
 * listApprovals: answers JSON { now, list = [approval...], more } (ARGV[3] = { limit }). Reads the index
 * in expiry order (ties by id, as a sorted set orders them), in pages, skipping entries whose record is
 * gone or expired, until limit + 1 are found (the last one only says there are more).
 */
export const LIST_APPROVALS_LUA = `${PRELUDE}
local q = cjson.decode(ARGV[3])
local limit = math.max(0, math.floor(tonumber(q.limit) or 0))
local ix = P .. 'al:'
redis.call('ZREMRANGEBYSCORE', ix, '-inf', fmt(now))
local list, more, offset = {}, false, 0
local page = limit + 1
while true do
  local ids = redis.call('ZRANGEBYSCORE', ix, '(' .. fmt(now), '+inf', 'LIMIT', offset, page)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local a = approval(P .. 'a:' .. id)
    if a and tonumber(a.expiresAt) > now then
      if #list >= limit then more = true break end
      list[#list + 1] = out(a)
    end
  end
  if more or #ids < page then break end
  offset = offset + page
end
-- cjson encodes an empty table as an object: the client reads a missing or empty list alike.
return cjson.encode({ now = fmt(now), list = list, more = more })
`;

/** getApproval: answers the approval as JSON, or nil. */
export const GET_APPROVAL_LUA = `${PRELUDE}
local a = approval(P .. 'a:' .. ARGV[3])
if not a then return false end
return cjson.encode(out(a))
`;
