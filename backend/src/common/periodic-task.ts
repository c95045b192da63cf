/**
 * A background task run every so many seconds, never twice at once: a run slower than the
 * interval is not started again, and a call while one runs waits for it. The timer does not
 * keep the process alive, and `stop` waits for the run under way, so that a shutdown hook
 * (`beforeApplicationShutdown`, before the database pool closes) lets it finish.
 */
export class PeriodicTask<T> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<T> | null = null;

  constructor(
    private readonly task: () => Promise<T>,
    /** What a timed run that failed reports (a run called directly rejects instead). */
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Runs the task every `seconds`; 0 never by itself (tests call `run`). */
  start(seconds: number): void {
    if (seconds <= 0) return;
    this.timer = setInterval(() => void this.run().catch(this.onError), seconds * 1000);
    this.timer.unref();
  }

  /** Runs the task now, or waits for the run under way. */
  run(): Promise<T> {
    this.running ??= this.task().finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}

