/**
 * Reading testssl.sh's JSON report (`--jsonfile`: a flat array of findings,
 * each with an id, a severity and a finding text) into the TLS check's verdict
 * (docs/security/dynamic-scan.md, "TLS"). The check fails when
 *   - any finding is HIGH, CRITICAL or FATAL (or of a severity this code does
 *     not know), except the certificate-lifecycle ones listed in
 *     INTERNAL_CA_FINDINGS when the certificate comes from Caddy's internal CA;
 *   - SSLv2, SSLv3, TLS 1.0 or TLS 1.1 is offered, or TLS 1.2 or 1.3 is not;
 *   - a cipher suite without AEAD or without forward secrecy is offered, or
 *     the report lists no cipher suite at all (testssl run without -E);
 *   - HSTS is missing or shorter than testssl's half year.
 */
export interface TestsslFinding {
  id: string;
  ip: string;
  port: string;
  severity: string;
  finding: string;
  cve?: string;
  cwe?: string;
}

export const BLOCKING_SEVERITIES: ReadonlySet<string> = new Set(['HIGH', 'CRITICAL', 'FATAL']);
const KNOWN_SEVERITIES: ReadonlySet<string> = new Set(['DEBUG', 'INFO', 'OK', 'LOW', 'MEDIUM', 'WARN', ...BLOCKING_SEVERITIES]);

/**
 * HIGH findings that describe Caddy's internal CA rather than the TLS setup:
 * its leaf certificates live 12 hours (renewed by Caddy long before they end,
 * so testssl always sees "expires < 30 days"), and it runs no CRL or OCSP
 * responder. A public certificate gets these checks in full.
 */
export const INTERNAL_CA_FINDINGS: Readonly<Record<string, string>> = {
  cert_expirationStatus: "Caddy's internal CA issues 12-hour certificates and renews them automatically",
  cert_notAfter: "Caddy's internal CA issues 12-hour certificates and renews them automatically",
  cert_revocation: "Caddy's internal CA runs no CRL or OCSP responder (ASVS 9.2.4 is N/A for it)",
};
export const INTERNAL_CA_ISSUER = 'Caddy Local Authority';

const REFUSED_PROTOCOLS = ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1'] as const;
const OFFERED_PROTOCOLS = ['TLS1_2', 'TLS1_3'] as const;

export interface CipherSuite {
  protocol: string;
  /** IANA name, e.g. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256. */
  name: string;
  aead: boolean;
  forwardSecrecy: boolean;
}

export interface TlsVerdict {
  target: string;
  passed: boolean;
  /** Each reason the check failed, in words. */
  failures: string[];
  /** HIGH/CRITICAL findings let through, with the reason. */
  accepted: Array<{ finding: TestsslFinding; reason: string }>;
  protocols: Record<string, string>;
  ciphers: CipherSuite[];
  hsts: string | undefined;
  countsBySeverity: Record<string, number>;
}

/** `cipher-tls1_2_xc02b`: "TLS 1.2   xc02b   ECDHE-ECDSA-AES128-GCM-SHA256   ECDH 253   AESGCM   128   TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256". */
export function cipherSuiteOf(finding: TestsslFinding): CipherSuite | undefined {
  const match = /^cipher-(\w+?)_x[0-9a-f]+$/i.exec(finding.id);
  if (!match) return undefined;
  const words = finding.finding.trim().split(/\s+/);
  const name = words[words.length - 1];
  const protocol = match[1];
  // TLS 1.3 suites name only the AEAD: their key exchange is always (EC)DHE.
  const tls13 = protocol === 'tls1_3';
  return {
    protocol,
    name,
    aead: /_(GCM|CCM|CCM_8)_SHA\d+$|_CHACHA20_POLY1305_SHA256$/.test(name),
    forwardSecrecy: tls13 || /^TLS_(ECDHE|DHE)_/.test(name),
  };
}

export function tlsVerdict(findings: TestsslFinding[], target: string): TlsVerdict {
  const failures: string[] = [];
  const accepted: TlsVerdict['accepted'] = [];
  const byId = new Map(findings.map((finding) => [finding.id, finding]));
  const internalCa = byId.get('cert_caIssuers')?.finding.includes(INTERNAL_CA_ISSUER) ?? false;

  const countsBySeverity: Record<string, number> = {};
  for (const finding of findings) {
    countsBySeverity[finding.severity] = (countsBySeverity[finding.severity] ?? 0) + 1;
    const blocking = BLOCKING_SEVERITIES.has(finding.severity) || !KNOWN_SEVERITIES.has(finding.severity);
    if (!blocking) continue;
    const reason = internalCa && finding.severity === 'HIGH' ? INTERNAL_CA_FINDINGS[finding.id] : undefined;
    if (reason) accepted.push({ finding, reason });
    else failures.push(`${finding.severity} ${finding.id}: ${finding.finding}`);
  }

  const protocols: Record<string, string> = {};
  for (const id of [...REFUSED_PROTOCOLS, ...OFFERED_PROTOCOLS]) {
    const finding = byId.get(id);
    protocols[id] = finding?.finding ?? 'not tested';
    if (!finding) failures.push(`${id}: not in the report`);
  }
  for (const id of REFUSED_PROTOCOLS) {
    if (byId.get(id) && !protocols[id].startsWith('not offered')) failures.push(`${id} must not be offered: ${protocols[id]}`);
  }
  for (const id of OFFERED_PROTOCOLS) {
    if (byId.get(id) && !protocols[id].startsWith('offered')) failures.push(`${id} must be offered: ${protocols[id]}`);
  }

  const ciphers = findings.flatMap((finding) => cipherSuiteOf(finding) ?? []);
  if (ciphers.length === 0) failures.push('no cipher suite listed (testssl must run with -E or --full)');
  for (const cipher of ciphers) {
    if (!['tls1_2', 'tls1_3'].includes(cipher.protocol)) failures.push(`${cipher.name} offered with ${cipher.protocol}`);
    if (!cipher.aead) failures.push(`${cipher.name} (${cipher.protocol}) is not an AEAD suite`);
    if (!cipher.forwardSecrecy) failures.push(`${cipher.name} (${cipher.protocol}) has no forward secrecy`);
  }

  const hsts = byId.get('HSTS_time');
  if (!hsts || hsts.severity !== 'OK') failures.push(`HSTS: ${hsts ? `${hsts.severity} ${hsts.finding}` : 'not sent'}`);

  return { target, passed: failures.length === 0, failures, accepted, protocols, ciphers, hsts: hsts?.finding, countsBySeverity };
}

/** Lines for the console and for the report. */
export function tlsSummaryLines(verdict: TlsVerdict): string[] {
  const counts = Object.entries(verdict.countsBySeverity)
    .map(([severity, count]) => `${severity} ${count}`)
    .join(', ');
  return [
    `${verdict.target}: ${verdict.passed ? 'passed' : 'FAILED'} (testssl findings: ${counts})`,
    `  protocols: ${Object.entries(verdict.protocols)
      .map(([id, finding]) => `${id} ${finding}`)
      .join('; ')}`,
    `  cipher suites: ${verdict.ciphers.map((cipher) => `${cipher.name} (${cipher.protocol})`).join(', ')}`,
    `  HSTS: ${verdict.hsts ?? 'not sent'}`,
    ...verdict.accepted.map(({ finding, reason }) => `  accepted ${finding.severity} ${finding.id} "${finding.finding}": ${reason}`),
    ...verdict.failures.map((failure) => `  - ${failure}`),
  ];
}
