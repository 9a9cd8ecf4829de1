--[[
  fire: enqueues the job of one schedule tick, at most once per tick, in the target queue's hash slot.

  This file is the script's tail: fire-script.ts prepends the client's enqueue script wrapped as the function
  enqueueJobs(KEYS, ARGV), so the job is stored exactly as Queue.enqueue stores it (pending, wake-ups, idempotent
  by job id).

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 scheduled  5 marker  (the enqueue script's keys)
        6 fired (HASH: schedule name -> the latest tick ms fired into this queue)
  ARGV: 1 schedule name  2 tick ms  then the enqueue script's ARGV for one job:
        3 base  4 "1"  5 job id ("<name>:<tick>")  6.. the rest of the job's enqueue arguments (see enqueue-5.lua)
  Returns: 1 the job was created; 0 this tick or a later one was fired already; -1 the tick is not due on the
           Redis clock (nothing done).

  Invariant: a schedule's ticks fire in increasing order and each at most once, however many schedulers race and
  however long one of them stalls, and whether or not retention has since removed the job of an earlier tick.
]]
local tick = tonumber(ARGV[2])
local t = redis.call('TIME')
if tick > tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) then return -1 end
local last = tonumber(redis.call('HGET', KEYS[6], ARGV[1]) or '-1')
if last and last >= tick then return 0 end
redis.call('HSET', KEYS[6], ARGV[1], ARGV[2])
local args = {}
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
local created = enqueueJobs({ KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5] }, args)
return created[1]
