/** The parts of the system the API depends on, as /api/health names them. */
export type Dependency = 'database' | 'objectStore';

const NAMES: Record<Dependency, string> = { database: 'The database', objectStore: 'The object store' };

/**
 * A dependency is down, frozen, overloaded or timed out: the request did not
 * happen and may be tried again. The error filter answers 503 with
 * Retry-After, never a 500, and names which part is unavailable.
 */
export class DependencyUnavailable extends Error {
  constructor(
    readonly dependency: Dependency,
    readonly retryAfterSeconds: number,
    readonly detail: string,
  ) {
    super(`${NAMES[dependency]} is unavailable (${detail})`);
    this.name = 'DependencyUnavailable';
  }

  /** What a client is told: which part, and to try again, without internals. */
  publicMessage(): string {
    return `${NAMES[this.dependency]} is unavailable at the moment; nothing was changed. Try again shortly.`;
  }
}
