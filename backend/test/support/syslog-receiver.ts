/**
 * A real syslog receiver for the SIEM tests (docs/testing.md "SIEM stream"): Debian's rsyslogd
 * with rsyslog-gnutls, in the foreground, as the unprivileged user nobody when the tests run as
 * root, with its own configuration: imtcp with the gtls stream driver in TLS-only mode
 * (StreamDriver.Mode=1, RFC 5425), a throwaway CA and a server certificate for 127.0.0.1 made
 * with openssl. It writes each message it receives twice: as received (`%rawmsg%`, which shows
 * the octet-counted framing was read right) and as rsyslog parsed it (RFC 5424 fields).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startChild, stopChild, type Child } from '@phr/infra/local/processes.js';
import { waitUntil } from './wait-until.js';

export interface SyslogPki {
  dir: string;
  /** The CA that signed the receiver's certificate. */
  caFile: string;
  /** An unrelated CA (the "wrong CA" an API may be given). */
  otherCaFile: string;
}

/** The fields rsyslog parsed out of one message. */
export interface ParsedSyslog {
  pri: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: string;
}

export interface SyslogReceiver {
  pki: SyslogPki;
  port: number;
  /** The messages received so far, as sent (without their frame length). */
  raw(): Promise<string[]>;
  parsed(): Promise<ParsedSyslog[]>;
  /** Stops rsyslogd (SIGTERM) and waits for it to exit; its files stay. */
  stop(): Promise<void>;
  /** Starts it again on the same port, appending to the same files. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const NOBODY = { uid: 65534, gid: 65534 };
/** Debian installs it in /usr/sbin, which an unprivileged PATH may lack. */
const RSYSLOGD = existsSync('/usr/sbin/rsyslogd') ? '/usr/sbin/rsyslogd' : 'rsyslogd';

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

async function makePki(dir: string): Promise<SyslogPki> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const caExtensions = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=phr siem test CA', ...caExtensions], dir);
  openssl(['req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.crt', '-days', '2', '-subj', '/CN=phr siem test CA', ...caExtensions], dir);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  await writeFile(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext'], dir);
  return { dir, caFile: path.join(dir, 'ca.crt'), otherCaFile: path.join(dir, 'other-ca.crt') };
}

function config(dir: string, port: number): string {
  const file = (name: string) => JSON.stringify(path.join(dir, name));
  return `
global(workDirectory=${file('work')} maxMessageSize="64k"
  DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile=${file('ca.crt')}
  DefaultNetstreamDriverCertFile=${file('server.crt')} DefaultNetstreamDriverKeyFile=${file('server.key')})
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
template(name="raw" type="string" string="%rawmsg%\\n")
template(name="parsed" type="string" string="%pri%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%\\n")
ruleset(name="siem") {
  action(type="omfile" file=${file('raw.log')} template="raw")
  action(type="omfile" file=${file('parsed.log')} template="parsed")
}
input(type="imtcp" address="127.0.0.1" port="${port}" listenPortFileName=${file('port')} ruleset="siem")
`;
}

/** Whether a TCP connection to the port is accepted (then closed at once). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function lines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export async function startSyslogReceiver(): Promise<SyslogReceiver> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phr-syslog-'));
  const pki = await makePki(dir);
  await mkdir(path.join(dir, 'work'));
  const isRoot = process.getuid?.() === 0;
  let port = 0;
  let child: Child | null = null;
  let output = '';

  const start = async () => {
    await rm(path.join(dir, 'port'), { force: true });
    await writeFile(path.join(dir, 'rsyslog.conf'), config(dir, port));
    if (isRoot) {
      for (const name of ['', 'work', 'server.key', 'server.crt', 'ca.crt', 'rsyslog.conf']) await chown(path.join(dir, name), NOBODY.uid, NOBODY.gid);
    }
    const args = ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'rsyslogd.pid')];
    const started = isRoot
      ? startChild('rsyslogd', 'setpriv', [`--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups', '--', RSYSLOGD, ...args], { cwd: dir, env: { PATH: process.env.PATH }, log: (line) => (output += `${line}\n`) })
      : startChild('rsyslogd', RSYSLOGD, args, { cwd: dir, env: { PATH: process.env.PATH }, log: (line) => (output += `${line}\n`) });
    child = started;
    let hasExited = false;
    void started.exited.then(() => (hasExited = true));
    // rsyslogd writes the port file once imtcp listens on a port it chose; on a given port it writes none.
    await waitUntil('rsyslogd to listen', async () => {
      if (hasExited) throw new Error(`rsyslogd exited:\n${output}`);
      if (port !== 0) return await accepts(port);
      const written = (await readFile(path.join(dir, 'port'), 'utf8').catch(() => '')).trim();
      if (written === '') return false;
      port = Number(written);
      return true;
    });
  };
  const stop = async () => {
    if (child) await stopChild(child, 10_000);
    child = null;
  };

  await start();
  return {
    pki,
    get port() {
      return port;
    },
    raw: () => lines(path.join(dir, 'raw.log')),
    parsed: async () =>
      (await lines(path.join(dir, 'parsed.log'))).map((line) => {
        const [pri, timestamp, hostname, appName, procId, msgId, ...rest] = line.split('|');
        return { pri: Number(pri), timestamp, hostname, appName, procId, msgId, structuredData: rest.join('|') };
      }),
    stop,
    start,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
