/**
 * Security headers for the portal as Vite serves it (`npm start`, the browser tests,
 * `vite preview`): the same policy as the production proxy (infra/docker/Caddyfile),
 * with no 'unsafe-inline' for scripts.
 *
 * The dev server's HTML carries one inline script, the React refresh preamble; it is
 * allowed by its SHA-256, computed from the HTML as it is sent. The dev server also
 * injects styles as <style> elements, which carry a nonce made fresh for every page
 * (Vite's `html.cspNonce`: the placeholder below is replaced in each HTML answer).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Connect, Plugin } from 'vite';

export const CSP_NONCE_PLACEHOLDER = 'PHR_CSP_NONCE';

const INLINE_SCRIPT = /<script\b(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/gi;

export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(INLINE_SCRIPT)].map((match) => `'sha256-${createHash('sha256').update(match[1] ?? '').digest('base64')}'`);
}

export function contentSecurityPolicy(options: { objectStoreOrigin: string; scriptHashes?: string[]; styleNonce?: string }): string {
  const scripts = ["'self'", ...(options.scriptHashes ?? [])];
  const styles = ["'self'", ...(options.styleNonce ? [`'nonce-${options.styleNonce}'`] : [])];
  return [
    "default-src 'self'",
    `script-src ${scripts.join(' ')}`,
    "worker-src 'self' blob:",
    `style-src ${styles.join(' ')}`,
    "img-src 'self' blob: data:",
    'frame-src blob:',
    // The crypto worker PUTs and GETs sealed segments on the object store directly.
    `connect-src 'self' ${options.objectStoreOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const FIXED_HEADERS: Array<[string, string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  // frame-ancestors 'none' rules in every current browser; this is for those before CSP 2.
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
];

function isHtml(res: ServerResponse): boolean {
  return String(res.getHeader('Content-Type') ?? '').startsWith('text/html');
}

/**
 * Sets the headers on every answer. An HTML answer gets its policy when it is sent:
 * its inline scripts are hashed and its nonce placeholder is replaced.
 */
function securityHeaders(objectStoreOrigin: string): Connect.NextHandleFunction {
  return (_req: IncomingMessage, res: ServerResponse, next: Connect.NextFunction) => {
    for (const [name, value] of FIXED_HEADERS) res.setHeader(name, value);
    res.setHeader('Content-Security-Policy', contentSecurityPolicy({ objectStoreOrigin }));
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (!res.headersSent && isHtml(res) && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) {
        const nonce = randomBytes(16).toString('base64');
        const html = String(chunk).replaceAll(CSP_NONCE_PLACEHOLDER, nonce);
        res.setHeader('Content-Security-Policy', contentSecurityPolicy({ objectStoreOrigin, scriptHashes: inlineScriptHashes(html), styleNonce: nonce }));
        res.setHeader('Content-Length', Buffer.byteLength(html));
        // Each page has its own nonce, so a cached copy must never be revalidated and reused.
        res.removeHeader('ETag');
        res.setHeader('Cache-Control', 'no-store');
        return end(html, ...rest);
      }
      return end(chunk, ...rest);
    }) as ServerResponse['end'];
    next();
  };
}

export function portalSecurityHeaders(objectStoreOrigin: string): Plugin {
  return {
    name: 'phr:portal-security-headers',
    configureServer(server) {
      server.middlewares.use(securityHeaders(objectStoreOrigin));
    },
    configurePreviewServer(server) {
      server.middlewares.use(securityHeaders(objectStoreOrigin));
    },
  };
}
