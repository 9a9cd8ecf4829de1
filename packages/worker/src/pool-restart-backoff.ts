/** The delays of {@link RestartBackoff}, in milliseconds. */
export interface RestartBackoffOptions {
  /** The delay before the second restart in a row; doubles with each further one. */
  restartDelayMs: number;
  /** The longest delay between restarts. */
  maxRestartDelayMs: number;
  /** How long a child must stay up for the count of deaths in a row to start over. */
  restartResetMs: number;
}

/**
 * When to restart the child of one pool slot after it died: at once after a first death, then after
 * `restartDelayMs`, doubling per death in a row, up to `maxRestartDelayMs`. A child that stayed up for
 * `restartResetMs` starts the count over.
 */
export class RestartBackoff {
  readonly #options: RestartBackoffOptions;
  /** Deaths in a row, each soon after the previous restart. */
  #crashes = 0;

  constructor(options: RestartBackoffOptions) {
    this.#options = options;
  }

  /**
   * The delay before restarting a child that was up for `upMs` milliseconds (0 if it never started consuming), in
   * milliseconds. A child the pool killed for an overrun is restarted at once and does not count: the job was at
   * fault, not the process.
   */
  next(upMs: number, killedForOverrun: boolean): number {
    if (killedForOverrun) return 0;
    if (upMs >= this.#options.restartResetMs) this.#crashes = 0;
    this.#crashes++;
    if (this.#crashes <= 1) return 0;
    return Math.min(
      this.#options.maxRestartDelayMs,
      this.#options.restartDelayMs * 2 ** Math.min(this.#crashes - 2, 30),
    );
  }
}
