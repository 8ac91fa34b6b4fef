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
 * - `s:<key>` hash (a session record): e, v = version, n = events held (the length of `se:`), d =
 *   droppedUntil (absent until an event is dropped), l = labels (JSON array), p = provenance (JSON array of
 *   [label, [fingerprint...]] pairs, so the order of labels survives Lua's tables)
 * - `se:<key>` list: the session's events, oldest first, each the client's JSON with `"at":N` spliced in
 *   first (never decoded here: arguments round-trip exactly); `n` in `s:` must match its length (a key lost
 *   alone, e.g. evicted, makes the record malformed, never a shorter history)
 *
 * Every key carries its expiry `e` in the store's clock, and liveness is judged on `e` (as MemoryStore
 * does), so an injected test clock behaves exactly like MemoryStore's; every key written also gets
 * a Redis TTL of `e - now` (PEXPIRE), so nothing outlives its use. Numbers are written and returned as
 * `%.17g` strings, which round-trip doubles exactly (Lua's tostring and cjson keep only 14 digits).
 */
import { LIMITS } from "../../source/limits.js";
import { TOO_MANY_LABELS } from "./session.js";
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

/**
 * Session records (the "Session state" algorithm of store.ts; MemoryStore's twin is in memory.ts and
 * session.ts: change them together). Errors are raised before the first write of any script.
 */
const SESSION = `
local MAXLABELS = ${LIMITS.maxSessionLabels}

local function badSession(what)
  error({ err = 'session state: the stored session record is malformed (' .. what .. '); the call is denied' })
end

-- A table that is a JSON array (cjson decodes {} and [] alike; an object with keys is not one).
local function isArray(t)
  if type(t) ~= 'table' then return false end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

local function decodeArray(s, what)
  local ok, x = pcall(cjson.decode, s)
  if not ok or not isArray(x) then badSession(what) end
  return x
end

-- The fields of a live session record { v, n, d (or nil), l, p (JSON) }, or nil when unknown or expired.
local function sessionRaw(key)
  local v = redis.call('HMGET', P .. 's:' .. key, 'e', 'v', 'n', 'd', 'l', 'p')
  if not v[1] then
    if v[2] or v[3] or v[4] or v[5] or v[6] then badSession('no expiry') end
    return nil
  end
  local e = tonumber(v[1])
  if not e then badSession('expiry') end
  if e <= now then return nil end
  local ver, n = tonumber(v[2]), tonumber(v[3])
  if not ver or ver < 1 or ver ~= math.floor(ver) then badSession('version') end
  if not n or n < 0 or n ~= math.floor(n) then badSession('event count') end
  local d
  if v[4] then
    d = tonumber(v[4])
    if not d then badSession('dropped-until') end
  end
  if not v[5] or not v[6] then badSession('labels or provenance missing') end
  return { v = ver, n = n, d = d, l = v[5], p = v[6] }
end

-- The length of a live record's event list; it must be what the record says.
local function sessionLen(key, raw)
  local len = redis.call('LLEN', P .. 'se:' .. key)
  if len ~= raw.n then badSession('events missing') end
  return len
end

-- The time of a stored event (written by sessionApply: '{"at":N,...').
local function atOf(s)
  if not s then return nil end
  return tonumber(string.match(s, '^{"at":(%-?%d+)[,}]'))
end

local function jarr(list)
  local o = {}
  for i, x in ipairs(list) do o[i] = cjson.encode(x) end
  return '[' .. table.concat(o, ',') .. ']'
end

-- A label's fingerprints: the old without the added, then the added (first places), the last 'cap'.
local function mergeFp(old, add, cap)
  local seen, fresh, out = {}, {}, {}
  for _, f in ipairs(add) do
    if not seen[f] then seen[f] = true fresh[#fresh + 1] = f end
  end
  for _, f in ipairs(old) do
    if not seen[f] then out[#out + 1] = f end
  end
  for _, f in ipairs(fresh) do out[#out + 1] = f end
  if #out <= cap then return out end
  local cut = {}
  for i = #out - cap + 1, #out do cut[#cut + 1] = out[i] end
  return cut
end

-- sessionAppend steps 1-2 (a = { key, ev, l, p, ttl, max, maxfp }): read and check; writes nothing.
local function sessionPrep(a)
  local raw = sessionRaw(a.key)
  local st = { raw = raw, labels = {}, has = {}, prov = {}, pidx = {}, fresh = {} }
  if raw then
    sessionLen(a.key, raw)
    for _, x in ipairs(decodeArray(raw.l, 'labels')) do
      if type(x) ~= 'string' then badSession('labels') end
      st.labels[#st.labels + 1] = x
      st.has[x] = true
    end
    for _, pair in ipairs(decodeArray(raw.p, 'provenance')) do
      if not isArray(pair) or type(pair[1]) ~= 'string' or not isArray(pair[2]) then badSession('provenance') end
      for _, f in ipairs(pair[2]) do
        if type(f) ~= 'string' then badSession('provenance') end
      end
      st.prov[#st.prov + 1] = pair
      st.pidx[pair[1]] = #st.prov
    end
  else
    local t = redis.call('TYPE', P .. 'se:' .. a.key)
    t = t.ok or t
    if t ~= 'none' and t ~= 'list' then badSession('events') end
  end
  local n = #st.labels
  local seen = {}
  for _, x in ipairs(a.l) do
    if not st.has[x] and not seen[x] then
      seen[x] = true
      st.fresh[#st.fresh + 1] = x
      n = n + 1
    end
  end
  local named = #st.prov
  for _, pair in ipairs(a.p) do
    if not st.pidx[pair[1]] then named = named + 1 end
  end
  if n > MAXLABELS or named > MAXLABELS then error({ err = '${TOO_MANY_LABELS}' }) end
  return st
end

-- sessionAppend steps 2-5 on what sessionPrep read; answers the new version.
local function sessionApply(a, st)
  local hk, lk = P .. 's:' .. a.key, P .. 'se:' .. a.key
  if not st.raw then redis.call('DEL', hk, lk) end
  for _, x in ipairs(st.fresh) do st.labels[#st.labels + 1] = x end
  local len = redis.call('RPUSH', lk, '{"at":' .. fmt(now) .. ',' .. string.sub(a.ev, 2))
  local d
  if st.raw then d = st.raw.d end
  if len > a.max then
    -- Unreadable (never written so): as if dropped now, so every window before now counts as cut.
    local at = atOf(redis.call('LINDEX', lk, len - a.max - 1)) or now
    if not d or at > d then d = at end
    redis.call('LTRIM', lk, len - a.max, -1)
    len = a.max
  end
  for _, pair in ipairs(a.p) do
    local i = st.pidx[pair[1]]
    if i then
      st.prov[i][2] = mergeFp(st.prov[i][2], pair[2], a.maxfp)
    else
      st.prov[#st.prov + 1] = { pair[1], mergeFp({}, pair[2], a.maxfp) }
      st.pidx[pair[1]] = #st.prov
    end
  end
  local ps = {}
  for i, pair in ipairs(st.prov) do ps[i] = '[' .. cjson.encode(pair[1]) .. ',' .. jarr(pair[2]) .. ']' end
  local ver = 1
  if st.raw then ver = st.raw.v + 1 end
  local e = now + a.ttl
  redis.call('HSET', hk, 'e', fmt(e), 'v', fmt(ver), 'n', fmt(len), 'l', jarr(st.labels), 'p', '[' .. table.concat(ps, ',') .. ']')
  if d then redis.call('HSET', hk, 'd', fmt(d)) end
  expire(hk, e)
  expire(lk, e)
  return ver
end
`;

/** reserve: steps 0-4 of the contract. Answers JSON: { s, now, ... } (see redis.ts). */
export const RESERVE_LUA = `${PRELUDE}${SESSION}
local req = cjson.decode(ARGV[3])
local N = fmt(now)

-- 0. A reservation its caller already cancelled changes nothing.
local res = req.r
local rk
if res then
  rk = P .. 'r:' .. res.id
  if reservation(rk) then return cjson.encode({ s = 'cancelled', now = N }) end
end

-- 0b. The session moved on since this call's facts were loaded.
if req.s then
  local raw = sessionRaw(req.s.key)
  local v = 0
  if raw then v = raw.v end
  if v ~= req.s.version then return cjson.encode({ s = 'session_changed', now = N }) end
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

/**
 * settle: answers 1 when applied, 0 when the idempotency record is not the caller's or already settled;
 * with a session (req.s), applied: { 1, now, version }.
 */
export const SETTLE_LUA = `${PRELUDE}${SESSION}
local req = cjson.decode(ARGV[3])
local idem = req.i
local ik, rec
if idem then
  ik = P .. 'i:' .. idem.key
  rec = live(ik, 't', 's')
  if rec and (rec[2] ~= idem.t or rec[3] ~= 'pending') then return 0 end
end
-- The session's checks before any write: a session error changes nothing.
local st
if req.s then st = sessionPrep(req.s) end
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
if st then return { 1, fmt(now), fmt(sessionApply(req.s, st)) } end
return 1
`;

/**
 * sessionLoad (ARGV[3] = { key, max }): answers { 'none', now } for a session that is not live, else
 * { 'ok', now, version, droppedUntil or '', labels JSON, provenance JSON, event... } (oldest first).
 */
export const SESSION_LOAD_LUA = `${PRELUDE}${SESSION}
local q = cjson.decode(ARGV[3])
local N = fmt(now)
local raw = sessionRaw(q.key)
if not raw then return { 'none', N } end
local lk = P .. 'se:' .. q.key
local len = sessionLen(q.key, raw)
local from = math.max(0, len - q.max)
local d = raw.d
if from > 0 then
  local at = atOf(redis.call('LINDEX', lk, from - 1))
  if not at then badSession('an event has no time') end
  if not d or at > d then d = at end
end
local out = { 'ok', N, fmt(raw.v), '', raw.l, raw.p }
if d then out[4] = fmt(d) end
if from < len then
  for _, x in ipairs(redis.call('LRANGE', lk, from, -1)) do out[#out + 1] = x end
end
return out
`;

/** sessionAppend (ARGV[3] = { key, ev, l, p, ttl, max, maxfp }): answers { now, version }. */
export const SESSION_APPEND_LUA = `${PRELUDE}${SESSION}
local a = cjson.decode(ARGV[3])
local st = sessionPrep(a)
return { fmt(now), fmt(sessionApply(a, st)) }
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
