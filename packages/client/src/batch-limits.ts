/**
 * The most jobs one `Queue.enqueueMany` call takes. A call is stored atomically by one script run, and Redis
 * serves no other client while a script runs (a million-job batch blocked it for 10 s, answering everyone `BUSY`,
 * and could not be stopped once it had written): larger calls are refused with `VALIDATION` before anything is
 * prepared. Split a larger list into calls of at most this many jobs; each call is then all or nothing on its own.
 */
export const ENQUEUE_MANY_MAX_JOBS = 1_000;

/**
 * The most bytes of encoded jobs (args, options, task names and ids, UTF-8) one `Queue.enqueueMany` call
 * takes, for the same reason as `ENQUEUE_MANY_MAX_JOBS`: 16 MiB. A call of several jobs over it is refused with
 * `VALIDATION` as soon as the job that crosses it is prepared; a single job is bounded by `maxPayloadBytes` alone.
 * Single `enqueue` calls made in the same tick share one script run, which closes at this size too.
 */
export const ENQUEUE_MANY_MAX_BYTES = 16 * 1024 * 1024;
