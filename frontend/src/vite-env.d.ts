/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The public half of the key directory's log key, SPKI DER in base64url, built in by vite.config.ts. */
  readonly VITE_KEY_LOG_PUBLIC_KEY: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
