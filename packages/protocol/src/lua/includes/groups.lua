--@include pending-key.lua
-- Job groups (docs/flow-control.md, "Groups"). A job enqueued with a group (field `grp` of its record) does not wait
-- in a pending list: it waits in its group's ZSET (BASE .. 'group:' .. name), scored rank × GROUP_RANK_SPAN + seq
-- (rank 0 high, 1 normal, 2 low; seq from meta `gseq`), so higher priorities come first and FIFO within one; a job
-- put back at the front (hand back, reclaim) gets rank × GROUP_RANK_SPAN − seq. The script declares K.meta,
-- K.groups (the ring: groups with pending jobs, a free slot and an open rate window, scored by their turn, meta
-- `gturn`), K.gactive (group -> active count, for every group with pending or active jobs) and K.gwait (groups whose
-- rate window is full, scored by when it opens). Meta `gpending` counts the jobs pending in groups.
--
-- Every push of a pending job goes through pushPending (a job without a group takes the pending list exactly as
-- before), and every end of an active grouped run through slotFreed, so the counters and the ring stay exact.
local GROUP_RANK = { high = 0, normal = 1, low = 2 }
local GROUP_RANK_SPAN = 1e13

local function groupKey(name)
  return BASE .. 'group:' .. name
end

local function groupStartsKey(name)
  return BASE .. 'gstarts:' .. name
end

-- The queue's group settings (meta `gconc`, `grlMax`, `grlMs`; nil when unset), read once per call and only by a
-- call that touches a group.
local GROUP_LIMITS = nil
local function groupLimits()
  if not GROUP_LIMITS then
    local m = redis.call('HMGET', K.meta, 'gconc', 'grlMax', 'grlMs')
    GROUP_LIMITS = { conc = tonumber(m[1]), rlMax = tonumber(m[2]), rlMs = tonumber(m[3]) }
    if not (GROUP_LIMITS.rlMax and GROUP_LIMITS.rlMs) then
      GROUP_LIMITS.rlMax = nil
      GROUP_LIMITS.rlMs = nil
    end
  end
  return GROUP_LIMITS
end

-- Puts group `name` where its state says: in the ring when it has pending jobs, a free slot and is not waiting for
-- its rate window (keeping its turn when it is there already, else at the end); out of the ring otherwise; out of
-- K.gactive and K.gwait once it has neither pending nor active jobs. Returns true when the group is in the ring.
local function placeGroup(name)
  local active = tonumber(redis.call('HGET', K.gactive, name))
  if redis.call('EXISTS', groupKey(name)) == 0 then
    redis.call('ZREM', K.groups, name)
    redis.call('ZREM', K.gwait, name)
    if active and active <= 0 then redis.call('HDEL', K.gactive, name) end
    return false
  end
  if not active then
    active = 0
    redis.call('HSET', K.gactive, name, 0)
  end
  if redis.call('ZSCORE', K.gwait, name) then return false end
  local conc = groupLimits().conc
  if conc and active >= conc then
    redis.call('ZREM', K.groups, name)
    return false
  end
  if not redis.call('ZSCORE', K.groups, name) then
    redis.call('ZADD', K.groups, redis.call('HINCRBY', K.meta, 'gturn', 1), name)
  end
  return true
end

-- Adds pending jobs to group `name`, in the order given (`pris[i]` is the priority of `ids[i]`); `front` puts them
-- before every job of their priority (a job given back). Returns true when the group is in the ring (a worker can
-- claim one of its jobs now).
local function pushGroup(name, ids, pris, front)
  local n = #ids
  local seq = redis.call('HINCRBY', K.meta, 'gseq', n) - n
  local gk = groupKey(name)
  local added = 0
  local args = {}
  for i = 1, n do
    seq = seq + 1
    local base = (GROUP_RANK[pris[i]] or 1) * GROUP_RANK_SPAN
    args[#args + 1] = front and base - seq or base + seq
    args[#args + 1] = ids[i]
    if #args >= 1000 or i == n then
      added = added + redis.call('ZADD', gk, unpack(args))
      args = {}
    end
  end
  if added > 0 then redis.call('HINCRBY', K.meta, 'gpending', added) end
  return placeGroup(name)
end

-- Makes a job pending: to its pending list (LPUSH: the back; RPUSH when `front`: the claim end), or, with a group,
-- to that group. Returns true when a worker can claim it now (always, without a group).
local function pushPending(id, pri, grp, front)
  if grp and grp ~= '' then return pushGroup(grp, { id }, { pri }, front) end
  redis.call(front and 'RPUSH' or 'LPUSH', pendingKey(pri), id)
  return true
end

-- A run of a job of group `grp` ended or was given back: its slot is free. Returns true when the group is (back) in
-- the ring. Nothing for a job without a group.
local function slotFreed(grp)
  if not grp or grp == '' then return false end
  if redis.call('HINCRBY', K.gactive, grp, -1) < 0 then redis.call('HSET', K.gactive, grp, 0) end
  return placeGroup(grp)
end

-- Takes a pending job out of its group (cancel). Returns whether it was there.
local function removeFromGroup(grp, id)
  local removed = redis.call('ZREM', groupKey(grp), id) == 1
  if removed then redis.call('HINCRBY', K.meta, 'gpending', -1) end
  placeGroup(grp)
  return removed
end

-- Moves the groups whose rate window has opened (at most `limit`) from K.gwait back to the ring.
local function reopenGroups(now, limit)
  local due = redis.call('ZRANGEBYSCORE', K.gwait, '-inf', now, 'LIMIT', 0, limit)
  for i = 1, #due do
    redis.call('ZREM', K.gwait, due[i])
    placeGroup(due[i])
  end
end

-- Whether group `name`'s rate window is full at `now`: then it leaves the ring for K.gwait until the window opens.
-- Drops the starts that left the window. False when no group rate limit is set.
local function groupWindowFull(name, now)
  local L = groupLimits()
  if not L.rlMax then return false end
  local sk = groupStartsKey(name)
  redis.call('ZREMRANGEBYSCORE', sk, '-inf', now - L.rlMs)
  if redis.call('ZCARD', sk) < L.rlMax then return false end
  local oldest = redis.call('ZRANGE', sk, 0, 0, 'WITHSCORES')
  redis.call('ZREM', K.groups, name)
  redis.call('ZADD', K.gwait, math.max(now + 1, tonumber(oldest[2]) + L.rlMs), name)
  return true
end

-- Claims up to `n` grouped jobs round robin: each turn takes the group first in the ring, pops its best job, and
-- puts the group at the end of the ring (or out of it: no slot left, its window full, nothing pending). `claimJob(id)`
-- claims one popped id and returns its fencing token, or nil when the id was stale (the job is elsewhere). Returns
-- how many were claimed, and false when it stopped early on its bound of turns (the ring may still hold work).
local function claimFromGroups(n, now, claimJob)
  local got = 0
  local turns = 0
  local L = groupLimits()
  while got < n do
    if turns >= 2 * n + 50 then return got, false end
    turns = turns + 1
    local first = redis.call('ZRANGE', K.groups, 0, 0)
    local name = first[1]
    if not name then break end
    local active = tonumber(redis.call('HGET', K.gactive, name)) or 0
    if L.conc and active >= L.conc then
      placeGroup(name)
    elseif not groupWindowFull(name, now) then
      local popped = redis.call('ZPOPMIN', groupKey(name))
      if popped[1] then
        redis.call('HINCRBY', K.meta, 'gpending', -1)
        local token = claimJob(popped[1])
        if token then
          got = got + 1
          redis.call('HINCRBY', K.gactive, name, 1)
          if L.rlMax then
            local sk = groupStartsKey(name)
            redis.call('ZADD', sk, now, token)
            redis.call('PEXPIRE', sk, L.rlMs)
          end
        end
      end
      -- its turn is over
      redis.call('ZREM', K.groups, name)
      if redis.call('EXISTS', groupKey(name)) == 0 or not groupWindowFull(name, now) then placeGroup(name) end
    end
  end
  return got, true
end
