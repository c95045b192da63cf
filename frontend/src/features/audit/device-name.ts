/**
 * A friendly name for the device of a user agent string ("Chrome on Linux"), for the trail.
 * A guess from a string the client chose: display only, the full string stays in the details.
 */
const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/Chrom(e|ium)\//, 'Chrome'],
  // eslint-disable-next-line sonarjs/super-linear-regex -- user agents are stored cut to 512 characters (backend db/request-meta.ts), so the backtracking stays small
  [/Version\/[\d.]+.*Safari\//, 'Safari'],
  [/curl\//i, 'curl'],
  [/node|undici|axios|python|okhttp|go-http/i, 'a program'],
];

const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/iPhone/, 'iPhone'],
  [/iPad/, 'iPad'],
  [/Android/, 'Android'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'Mac'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

export function deviceName(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? (system ? `A browser on ${system}` : 'Unknown device');
}
