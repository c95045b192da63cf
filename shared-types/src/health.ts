/**
 * GET /health: liveness with a database round trip. It names no version: the answer is
 * public, and a version tells an attacker which advisories to try (ASVS 14.3.3).
 */
export interface HealthResponse {
  status: 'ok';
}
