namespace Gateway.Redis;

/// <summary>
/// The Lua scripts that change a job's state: each runs atomically on the Redis server, so a job is taken by one
/// worker, finished once, and charged once, however many nodes race. Keys are built inside the scripts from the
/// prefix (ARGV[1]), which a single Redis server (not Redis Cluster) allows.
/// </summary>
internal static class ClusterScripts
{
    /// <summary>Shared by the scripts: the end of a job without images (failed, cancelled, expired), which releases its
    /// credit reservation, leaves the lease stream, and tells the waiting nodes.</summary>
    private const string Prelude = """
        local prefix = ARGV[1]
        local function is_final(status)
          return status == 'succeeded' or status == 'failed' or status == 'cancelled' or status == 'expired'
        end
        local function leave_lease(job)
          local entry = redis.call('HGET', job, 'entry')
          if entry and entry ~= '' then
            redis.call('XACK', prefix .. 'run', 'workers', entry)
            redis.call('XDEL', prefix .. 'run', entry)
          end
        end
        local function leave_queue(job)
          local member = redis.call('HGET', job, 'member')
          redis.call('ZREM', prefix .. 'ready:' .. redis.call('HGET', job, 'model'), member)
        end
        -- A synchronous dialect's job is kept for a while after its end (its events too); a Jobs job's record stays.
        local function keep_after_end(job, ref)
          local keep = tonumber(redis.call('HGET', job, 'retention') or '0')
          redis.call('EXPIRE', prefix .. 'events:' .. ref, keep > 0 and keep or 86400)
          if keep > 0 then redis.call('EXPIRE', job, keep) end
        end
        local function close(ref, status, now, code, message, param, http)
          local job = prefix .. 'job:' .. ref
          leave_lease(job)
          leave_queue(job)
          redis.call('HSET', job, 'status', status, 'finished', now, 'error_code', code, 'error_message', message,
            'error_param', param, 'error_status', http, 'entry', '')
          local client = redis.call('HGET', job, 'client')
          redis.call('HDEL', prefix .. 'reserved:' .. client, ref)
          redis.call('ZREM', prefix .. 'reserved-until:' .. client, ref)
          local events = prefix .. 'events:' .. ref
          redis.call('XADD', events, '*', 'type', 'failed', 'status', status, 'code', code, 'message', message)
          keep_after_end(job, ref)
          redis.call('PUBLISH', prefix .. 'done', ref)
        end

        """;

    /// <summary>Records a new job and queues it; 0 when the key already has a job with this id. Within a priority, each
    /// client's jobs get consecutive turns from the last turn taken, so clients alternate as in the single-node queue.
    /// ARGV: prefix, ref, data, model, priority, client, created ms, deadline ms or '', dialect, units, seconds to keep it after its end (0: for good).</summary>
    public const string Submit = Prelude + """
        local ref = ARGV[2]
        local job = prefix .. 'job:' .. ref
        if redis.call('EXISTS', job) == 1 then return 0 end
        local priority, client = tonumber(ARGV[5]), ARGV[6]
        local fair = prefix .. 'fair:' .. priority
        local turn = math.max(tonumber(redis.call('HGET', fair, '_taken') or '0'), tonumber(redis.call('HGET', fair, client) or '0')) + 1
        redis.call('HSET', fair, client, turn)
        local seq = redis.call('INCR', prefix .. 'seq')
        local member = string.format('%06d%012d%012d|', 999999 - priority, turn, seq) .. ref
        redis.call('HSET', job, 'data', ARGV[3], 'model', ARGV[4], 'priority', priority, 'client', client, 'status', 'queued',
          'created', ARGV[7], 'deadline', ARGV[8], 'dialect', ARGV[9], 'units', ARGV[10], 'member', member, 'attempts', 0,
          'step', 0, 'retention', ARGV[11])
        redis.call('ZADD', prefix .. 'ready:' .. ARGV[4], 0, member)
        redis.call('PUBLISH', prefix .. 'queued', ARGV[4])
        return 1
        """;

    /// <summary>Takes up to ARGV[4] jobs for the models in ARGV[5…], best first across them (highest priority, then
    /// turn, then arrival), each as an entry of the lease stream read by this node's consumer; jobs past their
    /// deadline are closed as expired instead. Returns {ref, entry id, attempt, data} per job.
    /// ARGV: prefix, node, now ms, count, models….</summary>
    public const string Take = Prelude + """
        local node, now, count = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
        local taken = {}
        local guard = 0
        while #taken < count and guard < 1000 do
          guard = guard + 1
          local best, best_key = nil, nil
          for i = 5, #ARGV do
            local key = prefix .. 'ready:' .. ARGV[i]
            local first = redis.call('ZRANGE', key, 0, 0)[1]
            if first and (best == nil or first < best) then best, best_key = first, key end
          end
          if not best then break end
          redis.call('ZREM', best_key, best)
          local ref = string.sub(best, 32)
          local job = prefix .. 'job:' .. ref
          local fair = prefix .. 'fair:' .. (999999 - tonumber(string.sub(best, 1, 6)))
          local turn = tonumber(string.sub(best, 7, 18))
          if turn > tonumber(redis.call('HGET', fair, '_taken') or '0') then redis.call('HSET', fair, '_taken', turn) end
          if redis.call('HGET', job, 'status') == 'queued' then
            local deadline = tonumber(redis.call('HGET', job, 'deadline'))
            if deadline and deadline <= now then
              close(ref, 'expired', now, 'deadline_exceeded', 'The deadline passed before a node could start the job.', '', 504)
            else
              redis.call('XADD', prefix .. 'run', '*', 'ref', ref)
              local read = redis.call('XREADGROUP', 'GROUP', 'workers', node, 'COUNT', 1, 'STREAMS', prefix .. 'run', '>')
              local entry = read[1][2][1][1]
              local attempt = redis.call('HINCRBY', job, 'attempts', 1)
              redis.call('HSET', job, 'status', 'running', 'node', node, 'entry', entry, 'started', now, 'step', 0)
              table.insert(taken, {ref, entry, attempt, redis.call('HGET', job, 'data')})
            end
          end
        end
        return taken
        """;

    /// <summary>Renews this node's leases (XCLAIM … JUSTID resets their idle time). Returns per job 'ok', 'cancel' (a
    /// cancellation was asked for) or 'lost' (the job was taken over, or has ended). ARGV: prefix, node, then ref, entry pairs.</summary>
    public const string Renew = Prelude + """
        local node = ARGV[2]
        local answers = {}
        for i = 3, #ARGV, 2 do
          local ref, entry = ARGV[i], ARGV[i + 1]
          local job = prefix .. 'job:' .. ref
          local status, current, cancel = unpack(redis.call('HMGET', job, 'status', 'entry', 'cancel'))
          if status ~= 'running' or current ~= entry then
            table.insert(answers, 'lost')
          else
            redis.call('XCLAIM', prefix .. 'run', 'workers', node, 0, entry, 'JUSTID')
            table.insert(answers, cancel == '1' and 'cancel' or 'ok')
          end
        end
        return answers
        """;

    /// <summary>Records a job's images; 0 when it had ended already (another node finished it first, or it was
    /// cancelled), and nothing changes. Charges the job's credits (ARGV[6] &gt; 0) in the same step, so once.
    /// ARGV: prefix, ref, now ms, image file or '', result key or '', credits, ledger entry JSON.</summary>
    public const string Finish = Prelude + """
        local ref, now = ARGV[2], ARGV[3]
        local job = prefix .. 'job:' .. ref
        local status = redis.call('HGET', job, 'status')
        if not status or is_final(status) then return 0 end
        leave_lease(job)
        leave_queue(job)
        local client = redis.call('HGET', job, 'client')
        redis.call('HSET', job, 'status', 'succeeded', 'finished', now, 'image', ARGV[4], 'result', ARGV[5], 'entry', '')
        redis.call('HDEL', prefix .. 'reserved:' .. client, ref)
        redis.call('ZREM', prefix .. 'reserved-until:' .. client, ref)
        local credits = tonumber(ARGV[6])
        if credits > 0 then
          redis.call('HINCRBYFLOAT', prefix .. 'spent', client, credits)
          redis.call('LPUSH', prefix .. 'ledger:' .. client, ARGV[7])
          redis.call('LTRIM', prefix .. 'ledger:' .. client, 0, 999)
        end
        redis.call('XADD', prefix .. 'events:' .. ref, '*', 'type', 'finished', 'image', ARGV[4])
        keep_after_end(job, ref)
        redis.call('PUBLISH', prefix .. 'done', ref)
        return 1
        """;

    /// <summary>Ends a job without images, unless it has ended; returns 1 when this call ended it.
    /// ARGV: prefix, ref, now ms, status, code, message, param, HTTP status.</summary>
    public const string Fail = Prelude + """
        local status = redis.call('HGET', prefix .. 'job:' .. ARGV[2], 'status')
        if not status or is_final(status) then return 0 end
        close(ARGV[2], ARGV[4], ARGV[3], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
        return 1
        """;

    /// <summary>Asks for a job's cancellation: a queued one ends at once ('dropped'); a running one is flagged and its
    /// node told ('running'); otherwise the status, or 'missing'. ARGV: prefix, ref, now ms, code, message.</summary>
    public const string Cancel = Prelude + """
        local ref = ARGV[2]
        local job = prefix .. 'job:' .. ref
        local status = redis.call('HGET', job, 'status')
        if not status then return 'missing' end
        if status == 'queued' then
          close(ref, 'cancelled', ARGV[3], ARGV[4], ARGV[5], '', 409)
          return 'dropped'
        end
        if status == 'running' then
          redis.call('HSET', job, 'cancel', '1', 'cancel_code', ARGV[4], 'cancel_message', ARGV[5])
          redis.call('PUBLISH', prefix .. 'cancel', ref)
          return 'running'
        end
        return status
        """;

    /// <summary>Gives back this node's running jobs when it stops gracefully: each is queued again in its old place at once,
    /// rather than when its lease expires, and that start does not count toward the delivery limit; one whose
    /// cancellation was asked for ends cancelled. Returns how many were queued again. ARGV: prefix, node, now ms, then
    /// ref, entry pairs.</summary>
    public const string Release = Prelude + """
        local node, now = ARGV[2], ARGV[3]
        local released = 0
        for i = 4, #ARGV, 2 do
          local ref, entry = ARGV[i], ARGV[i + 1]
          local job = prefix .. 'job:' .. ref
          local status, holder, current, cancel, code, message =
            unpack(redis.call('HMGET', job, 'status', 'node', 'entry', 'cancel', 'cancel_code', 'cancel_message'))
          if status == 'running' and holder == node and current == entry then
            if cancel == '1' then
              close(ref, 'cancelled', now, code or 'cancelled', message or 'The job was cancelled.', '', 409)
            else
              leave_lease(job)
              redis.call('HINCRBY', job, 'attempts', -1)
              redis.call('HSET', job, 'status', 'queued', 'node', '', 'entry', '', 'step', 0)
              redis.call('ZADD', prefix .. 'ready:' .. redis.call('HGET', job, 'model'), 0, redis.call('HGET', job, 'member'))
              redis.call('XADD', prefix .. 'events:' .. ref, '*', 'type', 'requeued')
              redis.call('PUBLISH', prefix .. 'queued', redis.call('HGET', job, 'model'))
              released = released + 1
            end
          end
        end
        return released
        """;

    /// <summary>Takes over leases idle longer than ARGV[4] ms (their node stopped renewing: it died or lost Redis) with
    /// XAUTOCLAIM, and queues those jobs again in their old place, to run from the start; a job started ARGV[5] times
    /// fails instead. Returns how many were queued again. ARGV: prefix, reaper node, now ms, lease ms, max deliveries.</summary>
    public const string Reclaim = Prelude + """
        local now, max = ARGV[3], tonumber(ARGV[5])
        local claimed = redis.call('XAUTOCLAIM', prefix .. 'run', 'workers', ARGV[2], ARGV[4], '0-0', 'COUNT', 100)
        local requeued = 0
        for _, entry in ipairs(claimed[2]) do
          local id, fields = entry[1], entry[2]
          if fields and fields[2] then
            local ref = fields[2]
            local job = prefix .. 'job:' .. ref
            local status, current, attempts = unpack(redis.call('HMGET', job, 'status', 'entry', 'attempts'))
            if status == 'running' and current == id then
              if tonumber(attempts) >= max then
                close(ref, 'failed', now, 'delivery_limit',
                  'The job was started ' .. attempts .. ' times and each node running it stopped before it finished.', '', 500)
              else
                redis.call('HSET', job, 'status', 'queued', 'node', '', 'entry', '', 'step', 0)
                redis.call('ZADD', prefix .. 'ready:' .. redis.call('HGET', job, 'model'), 0, redis.call('HGET', job, 'member'))
                redis.call('XADD', prefix .. 'events:' .. ref, '*', 'type', 'requeued')
                redis.call('PUBLISH', prefix .. 'queued', redis.call('HGET', job, 'model'))
                requeued = requeued + 1
              end
            end
          end
          redis.call('XACK', prefix .. 'run', 'workers', id)
          redis.call('XDEL', prefix .. 'run', id)
        end
        return requeued
        """;

    /// <summary>Reserves credits for a job: refused (0) when the key's grant (ARGV[4]; '' = unlimited) minus what it
    /// spent and what its other jobs hold cannot pay ARGV[3]. Reservations past their expiry (a node died before
    /// the job was queued) are dropped first; 2 when the job already holds one (a duplicate in progress).
    /// ARGV: prefix, client, credits, grant, ref, expires ms, now ms.</summary>
    public const string Reserve = """
        local prefix, client, credits, grant, ref = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
        local held = prefix .. 'reserved:' .. client
        local expiry = prefix .. 'reserved-until:' .. client
        for _, stale in ipairs(redis.call('ZRANGEBYSCORE', expiry, '-inf', ARGV[7])) do
          redis.call('HDEL', held, stale)
          redis.call('ZREM', expiry, stale)
        end
        if redis.call('HEXISTS', held, ref) == 1 then return {2, ''} end
        if grant ~= '' then
          local reserved = 0
          for _, value in ipairs(redis.call('HVALS', held)) do reserved = reserved + tonumber(value) end
          local spent = tonumber(redis.call('HGET', prefix .. 'spent', client) or '0')
          local available = tonumber(grant) - spent - reserved
          if credits > available + 1e-9 then return {0, tostring(math.max(0, available))} end
        end
        redis.call('HSET', held, ref, credits)
        redis.call('ZADD', expiry, ARGV[6], ref)
        return {1, ''}
        """;

    /// <summary>Turns a reservation into a charge (the synchronous dialects' images were delivered); 0 when it was
    /// charged already. ARGV: prefix, client, ref, credits, ledger entry JSON.</summary>
    public const string Charge = """
        local prefix, client, ref = ARGV[1], ARGV[2], ARGV[3]
        if redis.call('SET', prefix .. 'charged:' .. ref, '1', 'NX', 'EX', 86400) == false then return 0 end
        redis.call('HDEL', prefix .. 'reserved:' .. client, ref)
        redis.call('ZREM', prefix .. 'reserved-until:' .. client, ref)
        local credits = tonumber(ARGV[4])
        if credits > 0 then
          redis.call('HINCRBYFLOAT', prefix .. 'spent', client, credits)
          redis.call('LPUSH', prefix .. 'ledger:' .. client, ARGV[5])
          redis.call('LTRIM', prefix .. 'ledger:' .. client, 0, 999)
        end
        return 1
        """;
}
