/**
 * Setup file of the `rgw` Jest project: every test app of the file gets its store on the
 * RADOS Gateway (backend/test/support/test-store.ts). Jest gives each test file its own
 * copy of process.env, so the `api` project's files keep the embedded store.
 */
process.env.PHR_TEST_OBJECT_STORE = 'rgw';
