/**
 * The key directory's log key as this portal build carries it (vite.config.ts
 * defines it from VITE_KEY_LOG_PUBLIC_KEY; docs/running.md "Log key of the key
 * directory"). Never taken from the API: it is what the API's answers are
 * checked against.
 */
export const LOG_PUBLIC_KEY: string = import.meta.env.VITE_KEY_LOG_PUBLIC_KEY;
