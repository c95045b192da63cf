/**
 * Reading wapiti's JSON report. Wapiti gives every finding a level
 * (wapitiCore/language/vulnerability.py: 4 critical, 3 high, 2 medium, 1 low,
 * 0 info), both for vulnerabilities and for anomalies (a 500 answer to a
 * payload is a high anomaly). The scan fails on any finding of level 3 or 4,
 * whatever its kind. The report does not name the module that found something;
 * each category is raised by one module, except the two anomaly categories,
 * which every injecting module raises.
 */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

const SEVERITY_OF_LEVEL: Record<string, Severity> = { '4': 'critical', '3': 'high', '2': 'medium', '1': 'low', '0': 'info' };

/** Severities that fail the scan. */
export const BLOCKING: ReadonlySet<Severity> = new Set(['critical', 'high']);

const MODULE_OF_CATEGORY: Record<string, string> = {
  'Backup file': 'backup',
  'Blind SQL Injection': 'blindsql',
  'Weak credentials': 'brute_login_form',
  'CRLF Injection': 'crlf',
  'Content Security Policy Configuration': 'csp',
  'Cross Site Request Forgery': 'csrf',
  'Potentially dangerous file': 'nikto',
  'Command execution': 'exec',
  'Path Traversal': 'file',
  'Fingerprint web technology': 'wapp',
  'Htaccess Bypass': 'htaccess',
  'HTTP Secure Headers': 'http_headers',
  'HttpOnly Flag cookie': 'cookieflags',
  'Secure Flag cookie': 'cookieflags',
  'Open Redirect': 'redirect',
  'SQL Injection': 'sql',
  'Server Side Request Forgery': 'ssrf',
  'Cross Site Scripting': 'xss',
  'Internal Server Error': 'any injecting module',
  'Resource consumption': 'any injecting module',
};

type Kind = 'vulnerability' | 'anomaly' | 'additional';

interface ReportEntry {
  method: string;
  path: string;
  info: string;
  level: number | string;
  parameter: string;
  curl_command?: string;
}

export interface WapitiReport {
  vulnerabilities?: Record<string, ReportEntry[]>;
  anomalies?: Record<string, ReportEntry[]>;
  additionals?: Record<string, ReportEntry[]>;
  infos?: Record<string, unknown>;
}

export interface Finding {
  /** Which scan found it: 'api' or 'portal'. */
  target: string;
  kind: Kind;
  category: string;
  module: string;
  severity: Severity;
  method: string;
  path: string;
  parameter: string;
  info: string;
}

export function findingsOf(report: WapitiReport, target: string): Finding[] {
  const sections: Array<[Kind, Record<string, ReportEntry[]> | undefined]> = [
    ['vulnerability', report.vulnerabilities],
    ['anomaly', report.anomalies],
    ['additional', report.additionals],
  ];
  return sections.flatMap(([kind, section]) =>
    Object.entries(section ?? {}).flatMap(([category, entries]) =>
      entries.map((entry) => ({
        target,
        kind,
        category,
        module: MODULE_OF_CATEGORY[category] ?? 'unknown',
        severity: severityOf(entry.level),
        method: entry.method,
        path: entry.path,
        parameter: entry.parameter,
        info: entry.info,
      })),
    ),
  );
}

/** An unknown level counts as high: a report this code cannot read must not pass. */
export function severityOf(level: number | string): Severity {
  return SEVERITY_OF_LEVEL[String(level)] ?? 'high';
}

export function blockingFindings(findings: Finding[]): Finding[] {
  return findings.filter((finding) => BLOCKING.has(finding.severity));
}

export function countBy<K extends string>(findings: Finding[], key: (finding: Finding) => K): Map<K, number> {
  const counts = new Map<K, number>();
  for (const finding of findings) counts.set(key(finding), (counts.get(key(finding)) ?? 0) + 1);
  return counts;
}

/** Lines for the console and for summary.md: counts per severity, per module and category, then each finding. */
export function summaryLines(findings: Finding[]): string[] {
  const bySeverity = countBy(findings, (finding) => finding.severity);
  const lines = [`Findings: ${findings.length} (${SEVERITIES.map((severity) => `${severity} ${bySeverity.get(severity) ?? 0}`).join(', ')})`];
  const byModule = countBy(findings, (finding) => `${finding.module} / ${finding.category} / ${finding.severity}`);
  for (const [key, count] of [...byModule].sort()) lines.push(`  ${key}: ${count}`);
  for (const finding of findings) {
    const where = `${finding.method} ${finding.path}${finding.parameter ? ` [${finding.parameter}]` : ''}`;
    lines.push(`- [${finding.severity}] ${finding.target} ${finding.category}: ${where}: ${finding.info.replace(/\s+/g, ' ').trim()}`);
  }
  return lines;
}
