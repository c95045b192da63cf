/**
 * The TLS check's verdict on a testssl.sh JSON report (infra/scan/tls-findings.ts,
 * docs/security/dynamic-scan.md "TLS"). The check itself runs in CI as
 * `npm run scan:tls`; the reports below are shaped like testssl 3.0.8's.
 */
import { describe, expect, it } from '@jest/globals';
import { cipherSuiteOf, tlsSummaryLines, tlsVerdict, type TestsslFinding } from '../scan/tls-findings.js';

function finding(id: string, severity: string, text: string): TestsslFinding {
  return { id, ip: 'localhost/127.0.0.1', port: '8443', severity, finding: text };
}

function cipher(protocol: '1_2' | '1_3' | '1' | '1_1', hex: string, openssl: string, iana: string): TestsslFinding {
  const label = `TLS ${protocol.replace('_', '.')}`;
  return finding(`cipher-tls${protocol}_x${hex}`, 'INFO', `${label}   x${hex}   ${openssl}     ECDH 253   AESGCM      128      ${iana}`);
}

/** What Caddy 2.6 with `tls internal` gave in the run of 2026-11-25. */
function caddyReport(): TestsslFinding[] {
  return [
    finding('SSLv2', 'OK', 'not offered'),
    finding('SSLv3', 'OK', 'not offered'),
    finding('TLS1', 'INFO', 'not offered'),
    finding('TLS1_1', 'INFO', 'not offered'),
    finding('TLS1_2', 'OK', 'offered'),
    finding('TLS1_3', 'OK', 'offered with final'),
    cipher('1_2', 'c02b', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'),
    cipher('1_2', 'cca9', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'),
    cipher('1_3', '1301', 'TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'),
    cipher('1_3', '1303', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'),
    finding('cert_caIssuers', 'INFO', 'Caddy Local Authority - ECC Intermediate'),
    finding('cert_chain_of_trust', 'OK', 'passed.'),
    finding('cert_expirationStatus', 'HIGH', 'expires < 30 days (0)'),
    finding('cert_notAfter', 'HIGH', '2026-11-26 03:42'),
    finding('cert_revocation', 'HIGH', 'Neither CRL nor OCSP URI provided'),
    finding('HSTS_time', 'OK', '730 days (=63072000 seconds) > 15552000 seconds'),
    finding('secure_renego', 'WARN', "OpenSSL handshake didn't succeed"),
    finding('heartbleed', 'OK', 'not vulnerable, no heartbeat extension'),
    finding('TLS_session_ticket', 'LOW', 'valid for 604800 seconds (>daily)'),
  ];
}

function replace(report: TestsslFinding[], changed: TestsslFinding): TestsslFinding[] {
  return report.map((entry) => (entry.id === changed.id ? changed : entry));
}

describe('the TLS check', () => {
  it("passes Caddy's setup, accepting only the internal CA's certificate-lifecycle findings", () => {
    const verdict = tlsVerdict(caddyReport(), 'portal');
    expect(verdict.failures).toEqual([]);
    expect(verdict.passed).toBe(true);
    expect(verdict.accepted.map(({ finding }) => finding.id)).toEqual(['cert_expirationStatus', 'cert_notAfter', 'cert_revocation']);
    expect(verdict.ciphers.every((suite) => suite.aead && suite.forwardSecrecy)).toBe(true);
    expect(tlsSummaryLines(verdict)[0]).toBe('portal: passed (testssl findings: OK 7, INFO 7, HIGH 3, WARN 1, LOW 1)');
  });

  it('fails on the same certificate findings when the certificate is not from the internal CA', () => {
    const report = replace(caddyReport(), finding('cert_caIssuers', 'INFO', "Let's Encrypt R11"));
    const verdict = tlsVerdict(report, 'portal');
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toEqual([
      'HIGH cert_expirationStatus: expires < 30 days (0)',
      'HIGH cert_notAfter: 2026-11-26 03:42',
      'HIGH cert_revocation: Neither CRL nor OCSP URI provided',
    ]);
  });

  it('fails on any other high or critical finding, on a fatal scan problem, and on an unknown severity', () => {
    const report = [
      ...replace(caddyReport(), finding('heartbleed', 'CRITICAL', 'VULNERABLE')),
      finding('scanProblem', 'FATAL', 'connection refused'),
      finding('ROBOT', 'SEVERE', 'odd'),
      finding('BREACH', 'MEDIUM', 'potentially VULNERABLE, gzip HTTP compression detected'),
    ];
    expect(tlsVerdict(report, 'portal').failures).toEqual(['CRITICAL heartbleed: VULNERABLE', 'FATAL scanProblem: connection refused', 'SEVERE ROBOT: odd']);
  });

  it('fails when TLS 1.0 or 1.1 is offered, or TLS 1.2 or 1.3 is not, or a protocol was not tested', () => {
    const report = replace(replace(caddyReport(), finding('TLS1_1', 'LOW', 'offered (deprecated)')), finding('TLS1_3', 'INFO', 'not offered'));
    const verdict = tlsVerdict(
      report.filter((entry) => entry.id !== 'SSLv2'),
      'portal',
    );
    expect(verdict.failures).toEqual(['SSLv2: not in the report', 'TLS1_1 must not be offered: offered (deprecated)', 'TLS1_3 must be offered: not offered']);
  });

  it('fails on a suite without AEAD or forward secrecy, on a suite of an old protocol, and on a report without suites', () => {
    const report = [
      ...caddyReport(),
      cipher('1_2', 'c027', 'ECDHE-RSA-AES128-SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256'),
      cipher('1_2', '9c', 'AES128-GCM-SHA256', 'TLS_RSA_WITH_AES_128_GCM_SHA256'),
      cipher('1', 'c013', 'ECDHE-RSA-AES128-SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'),
    ];
    expect(tlsVerdict(report, 'portal').failures).toEqual([
      'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 (tls1_2) is not an AEAD suite',
      'TLS_RSA_WITH_AES_128_GCM_SHA256 (tls1_2) has no forward secrecy',
      'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA offered with tls1',
      'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (tls1) is not an AEAD suite',
    ]);
    const withoutSuites = caddyReport().filter((entry) => !entry.id.startsWith('cipher-'));
    expect(tlsVerdict(withoutSuites, 'portal').failures).toEqual(['no cipher suite listed (testssl must run with -E or --full)']);
  });

  it('fails without HSTS, or with a short one', () => {
    const noHsts = caddyReport().filter((entry) => entry.id !== 'HSTS_time');
    expect(tlsVerdict(noHsts, 'portal').failures).toEqual(['HSTS: not sent']);
    const short = replace(caddyReport(), finding('HSTS_time', 'MEDIUM', '1 day (=86400 seconds) < 15552000 seconds'));
    expect(tlsVerdict(short, 'portal').failures).toEqual(['HSTS: MEDIUM 1 day (=86400 seconds) < 15552000 seconds']);
  });

  it('reads TLS 1.3 suites as forward secret and ignores findings that are not suites', () => {
    expect(cipherSuiteOf(cipher('1_3', '1302', 'TLS_AES_256_GCM_SHA384', 'TLS_AES_256_GCM_SHA384'))).toEqual({
      protocol: 'tls1_3',
      name: 'TLS_AES_256_GCM_SHA384',
      aead: true,
      forwardSecrecy: true,
    });
    expect(cipherSuiteOf(finding('cipherlist_STRONG', 'OK', 'offered'))).toBeUndefined();
    expect(cipherSuiteOf(finding('cipher_order', 'OK', 'server'))).toBeUndefined();
  });
});
