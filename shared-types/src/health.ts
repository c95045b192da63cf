/**
 * GET /health/live: liveness. The process is up and serving; it checks
 * nothing else, so an orchestrator restarts the API only when the API itself
 * is stuck, never because a dependency is down.
 */
export interface LivenessResponse {
  status: 'ok';
}

export type DependencyState = 'up' | 'down';

/**
 * GET /health: readiness. 200 with `status: 'ok'` when the API can serve
 * (database and object store both answer within a second or two); 503 with
 * `status: 'unavailable'`, a Retry-After header and the same body, naming
 * which dependency is down, otherwise. It names no version: the answer is
 * public, and a version tells an attacker which advisories to try (ASVS 14.3.3).
 */
export interface HealthResponse {
  status: 'ok' | 'unavailable';
  database: DependencyState;
  objectStore: DependencyState;
}
