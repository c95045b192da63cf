/** GET /health: liveness with a database round trip. */
export interface HealthResponse {
  status: 'ok';
  version: string;
}
