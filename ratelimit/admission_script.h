// ratelimit/admission_script.h — the Lua sources run by Admission (internal). The argument
// layout is the contract between admission.cc and these scripts; change both together.
#pragma once

namespace bulkd::ratelimit::internal {

// ARGV: 1 prefix, 2 dedupe window (s), 3 min shards, 4 max shards, 5 max wait (ms),
// 6 batch ack key ("" = none), 7 ack ttl (ms), 8 T tenants, 9 B buckets, 10 N messages,
// 11 worker id ("" = no in-flight ledger), 12 ledger shards, then T tenant names, then B x (bucket key, rate/s, burst), then per message:
// tenant index (1-based), hash (signed 64-bit decimal), selector (uint32), recipient,
// flags (1 = check opt-out), cost, retry (0 = the job's own record, k > 0 = its k-th
// durable retry record), M, then M bucket indices (1-based).
// Returns one string: per message 'A' | 'D' | 'O' | 'P' | 'R' | 'T' | 'W<ms>:<k>;' (k = 0-based
// position in the message's bucket list). With a worker id, every claim is also entered in
// the in-flight ledger `flight:{tenant}:{shard}` (field = hash, value = worker id) until
// the worker settles it; a replay of a claimed job is then 'D' when the ledger has no entry
// (finished), 'P' when its worker is alive (`worker:{id}` exists: still in progress), and
// 'R' when that worker is gone: the entry is taken over by this worker (recovered).
// Ledger values: "<worker>" or "<worker>|<k>" (owner working on retry k), "~<k>" (retry k
// handed over to a delay tier, not yet taken). A retry record k skips the dedupe claim:
// it is taken (owner "<worker>|<k>") when the entry is "~<k>", or when its owner died
// while at an earlier retry (it had handed this one over); another "~j" or no entry is
// 'D'; a live owner is 'P'; a dead owner at retry >= k is 'R' (it may have sent it).
// A value starting with '@' ("@<worker>" / "@<worker>|<k>", kMarkAcceptedScript) says a
// provider accepted the job and its receipt is awaited: where a dead owner's job would be
// 'R', it is 'T' instead (taken over, still marked accepted): follow its receipt.
inline constexpr char kAdmitScript[] = R"lua(
local prefix = ARGV[1]
local window = tonumber(ARGV[2])
local min_shards = tonumber(ARGV[3])
local max_shards = tonumber(ARGV[4])
local max_wait = tonumber(ARGV[5])
local ack_key = ARGV[6]
if ack_key ~= '' then
  local done = redis.call('GET', ack_key)
  if done then return done end
end
local nt, nb, nm = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local worker = ARGV[11]
local ledger_shards = tonumber(ARGV[12])
local ledger_ttl_ms = window * 2000
local ledger_touched = {}

local time = redis.call('TIME')
local now_s = tonumber(time[1])
local now_us = now_s * 1000000 + tonumber(time[2])
local gen = math.floor(now_s / window)
local gen_expire_ms = (gen + 2) * window * 1000
local sweep_key = prefix .. 'dedupe:sweep'

local i = 13
local tenants = {}
for t = 1, nt do
  local name = ARGV[i]
  i = i + 1
  local base = prefix .. 'dedupe:' .. name .. ':'
  local meta = base .. gen
  local prev = redis.call('HMGET', base .. (gen - 1), 'n', 'c')
  local prev_n = tonumber(prev[1])
  local prev_c = tonumber(prev[2]) or 0
  local n = tonumber(redis.call('HGET', meta, 'n'))
  if not n then
    -- Fixed for the whole generation: ~256 claims per set keeps sets in intset encoding.
    n = min_shards
    if prev_n then
      n = math.ceil(prev_c * 1.5 / 256)
      if n < min_shards then n = min_shards end
      if n > max_shards then n = max_shards end
    end
    redis.call('HSET', meta, 'n', n)
    redis.call('PEXPIREAT', meta, gen_expire_ms)
    -- Its sets get their expiry in one sweep after the generation ends (below), not one
    -- PEXPIREAT per claim.
    redis.call('RPUSH', sweep_key, gen .. '|' .. n .. '|0|' .. base)
  end
  -- The previous generation is looked into only if it holds claims.
  if prev_c == 0 then prev_n = nil end
  tenants[t] = {name = name, meta = meta, cur = meta .. ':', n = n,
                prev = base .. (gen - 1) .. ':', pn = prev_n, claims = 0}
end

local bk = {}
for b = 1, nb do
  bk[b] = {key = ARGV[i], rate = tonumber(ARGV[i + 1]), burst = tonumber(ARGV[i + 2])}
  i = i + 3
end

local function load(b)
  local s = bk[b]
  if s.tokens == nil then
    local v = redis.call('HMGET', s.key, 'v', 't')
    local tokens = tonumber(v[1])
    if tokens == nil then
      tokens = s.burst
    else
      local elapsed = now_us - (tonumber(v[2]) or now_us)
      if elapsed > 0 then tokens = tokens + elapsed * s.rate / 1000000 end
      if tokens > s.burst then tokens = s.burst end
    end
    s.tokens = tokens
  end
  return s
end

-- Message offsets, and recipients to check against opt-out sets.
local ms = {}
local by_tenant = {}
local global_args, global_msgs = {}, {}
for m = 1, nm do
  ms[m] = i
  if ARGV[i + 4] == '1' then
    local ti = tonumber(ARGV[i])
    local g = by_tenant[ti]
    if not g then
      g = {args = {}, msgs = {}}
      by_tenant[ti] = g
    end
    g.args[#g.args + 1] = ARGV[i + 3]
    g.msgs[#g.msgs + 1] = m
    global_args[#global_args + 1] = ARGV[i + 3]
    global_msgs[#global_msgs + 1] = m
  end
  i = i + 8 + tonumber(ARGV[i + 7])
end

local opted = {}
local function check(key, args, msgs)
  local chunk = 1000
  for from = 1, #args, chunk do
    local to = math.min(from + chunk - 1, #args)
    local r = redis.call('SMISMEMBER', key, unpack(args, from, to))
    for j = 1, #r do
      if r[j] == 1 then opted[msgs[from + j - 1]] = true end
    end
  end
end
for ti, g in pairs(by_tenant) do
  check(prefix .. 'optout:' .. tenants[ti].name, g.args, g.msgs)
end
if #global_args > 0 then check(prefix .. 'optout:_global', global_args, global_msgs) end

-- Per message: buckets first (pure Lua on the loaded state), then the claim (SADD into the
-- current generation, after a look into the previous one) only for messages that could go;
-- a waiting message costs no Redis call and claims nothing.
-- Ledger owner "[@]<worker>" or "[@]<worker>|<retry>" -> worker, retry, accepted.
local function owner_of(v)
  local accepted = string.sub(v, 1, 1) == '@'
  if accepted then v = string.sub(v, 2) end
  local w, k = string.match(v, '^(.*)|(%d+)$')
  if w then return w, tonumber(k), accepted end
  return v, 0, accepted
end
local function alive(w)
  return w == worker or redis.call('EXISTS', prefix .. 'worker:' .. w) == 1
end
local function owner_value(k)
  if k > 0 then return worker .. '|' .. k end
  return worker
end
-- A dead owner's job becomes this worker's: 'T' to follow its receipt, else 'R'.
local function take_over(fkey, h, at, accepted)
  if accepted then
    redis.call('HSET', fkey, h, '@' .. owner_value(at))
    return 'T'
  end
  redis.call('HSET', fkey, h, owner_value(at))
  return 'R'
end
-- A retry record: 'C' (take it), or the verdict.
local function retry_verdict(fkey, h, k)
  local v = redis.call('HGET', fkey, h)
  if not v then return 'D' end
  if string.sub(v, 1, 1) == '~' then
    if tonumber(string.sub(v, 2)) == k then return 'C' end
    return 'D'
  end
  local w, at, accepted = owner_of(v)
  if alive(w) then return 'P' end
  if at < k then return 'C' end
  return take_over(fkey, h, at, accepted)
end

local out, charged = {}, {}
for m = 1, nm do
  local p = ms[m]
  local cost = tonumber(ARGV[p + 5])
  local retry = tonumber(ARGV[p + 6])
  local mb = tonumber(ARGV[p + 7])
  local wait, which = -1, 0
  if not opted[m] then
    for k = 0, mb - 1 do
      local s = load(tonumber(ARGV[p + 8 + k]))
      local need = cost
      if need > s.burst then need = s.burst end
      if s.tokens + 1e-9 < need then
        local w = max_wait
        if s.rate > 0 then w = math.ceil((need - s.tokens) * 1000 / s.rate) end
        if w > max_wait then w = max_wait end
        if w < 1 then w = 1 end
        if w > wait then wait, which = w, k end
      end
    end
  end
  if wait >= 0 then
    out[m] = 'W' .. wait .. ':' .. which .. ';'
  else
    local T = tenants[tonumber(ARGV[p])]
    local h = ARGV[p + 1]
    local sel = tonumber(ARGV[p + 2])
    local skey = T.cur .. (sel % T.n)
    local fkey
    if worker ~= '' then fkey = prefix .. 'flight:' .. T.name .. ':' .. (sel % ledger_shards) end
    local taken
    if retry > 0 then
      if fkey then taken = retry_verdict(fkey, h, retry) else taken = 'C' end
      if taken ~= 'C' then out[m] = taken end
    elseif (T.pn and redis.call('SISMEMBER', T.prev .. (sel % T.pn), h) == 1) or
       redis.call('SADD', skey, h) == 0 then
      out[m] = 'D'
      if fkey then
        local owner = redis.call('HGET', fkey, h)
        if owner and string.sub(owner, 1, 1) ~= '~' then
          local w, at, accepted = owner_of(owner)
          if alive(w) then
            out[m] = 'P'
          else
            out[m] = take_over(fkey, h, at, accepted)
          end
        end
      end
    else
      T.claims = T.claims + 1
      taken = 'C'
    end
    if taken == 'C' then
      if fkey then
        redis.call('HSET', fkey, h, owner_value(retry))
        if not ledger_touched[fkey] then
          ledger_touched[fkey] = true
          redis.call('PEXPIRE', fkey, ledger_ttl_ms)
        end
      end
      if opted[m] then
        out[m] = 'O'
      else
        for k = 0, mb - 1 do
          local b = tonumber(ARGV[p + 8 + k])
          bk[b].tokens = bk[b].tokens - cost
          charged[b] = true
        end
        out[m] = 'A'
      end
    end
  end
end

for b in pairs(charged) do
  local s = bk[b]
  redis.call('HSET', s.key, 'v', string.format('%.17g', s.tokens), 't',
             string.format('%.0f', now_us))
  if s.rate > 0 then
    redis.call('PEXPIRE', s.key, math.ceil((s.burst - s.tokens) * 1000 / s.rate) + 1000)
  else
    redis.call('PERSIST', s.key)
  end
end
-- Sweep: set the expiry of ended generations' sets, at most 128 per batch. Entries are
-- "gen|shards|next shard|base" in creation order; one is due a grace period after its
-- generation ended (a server clock stepping back by less than that cannot add a claim to
-- an already swept generation).
local budget = 128
local grace = math.min(60, math.floor(window / 4))
while budget > 0 do
  local entry = redis.call('LINDEX', sweep_key, 0)
  if not entry then break end
  local g, n, nxt, base = string.match(entry, '^(%d+)|(%d+)|(%d+)|(.*)$')
  g, n, nxt = tonumber(g), tonumber(n), tonumber(nxt)
  if g == nil then
    redis.call('LPOP', sweep_key)
  else
    if now_s < (g + 1) * window + grace then break end
    local expire_ms = (g + 2) * window * 1000
    local stop = math.min(n, nxt + budget)
    for shard = nxt, stop - 1 do
      redis.call('PEXPIREAT', base .. g .. ':' .. shard, expire_ms)
    end
    budget = budget - (stop - nxt)
    if stop >= n then
      redis.call('LPOP', sweep_key)
    else
      redis.call('LSET', sweep_key, 0, g .. '|' .. n .. '|' .. stop .. '|' .. base)
    end
  end
end
for t = 1, nt do
  if tenants[t].claims > 0 then
    redis.call('HINCRBY', tenants[t].meta, 'c', tenants[t].claims)
  end
end

local result = table.concat(out)
if ack_key ~= '' then redis.call('SET', ack_key, result, 'PX', ARGV[7]) end
return result
)lua";

// ARGV: 1 dedupe base "prefix..dedupe:{tenant}:", 2 window (s), 3 hash, 4 selector.
// Returns the number of claims removed (0 or 1).
inline constexpr char kReleaseScript[] = R"lua(
local base = ARGV[1]
local window = tonumber(ARGV[2])
local h = ARGV[3]
local sel = tonumber(ARGV[4])
local gen = math.floor(tonumber(redis.call('TIME')[1]) / window)
local removed = 0
for g = gen - 1, gen do
  local n = tonumber(redis.call('HGET', base .. g, 'n'))
  if n then removed = removed + redis.call('SREM', base .. g .. ':' .. (sel % n), h) end
end
return removed
)lua";

// ARGV: 1 worker id, then per entry: ledger key, field, retry. Marks each entry this
// worker owns ("<worker>" or "<worker>|<retry>") as accepted by a provider ('@' prefix);
// an entry settled or taken over meanwhile is left alone. Returns the number marked.
inline constexpr char kMarkAcceptedScript[] = R"lua(
local worker = ARGV[1]
local marked = 0
for i = 2, #ARGV, 3 do
  local owner = worker
  if ARGV[i + 2] ~= '0' then owner = worker .. '|' .. ARGV[i + 2] end
  if redis.call('HGET', ARGV[i], ARGV[i + 1]) == owner then
    redis.call('HSET', ARGV[i], ARGV[i + 1], '@' .. owner)
    marked = marked + 1
  end
end
return marked
)lua";

}  // namespace bulkd::ratelimit::internal
