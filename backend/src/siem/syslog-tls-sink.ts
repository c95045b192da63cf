import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import type { AuditEvent } from '@phr/shared-types';
import type { SiemShipping, SiemSyslogTls } from '../config/app-config.js';
import { octetCountedFrame, syslogMessage, type SyslogHeader } from './siem-messages.js';
import type { SiemSink } from './siem-sink.js';

/**
 * Syslog over TLS (RFC 5425): one connection, kept open, verified against SIEM_SYSLOG_CA_FILE
 * and the host name (or IP address); octet-counted RFC 5424 messages. A connection the
 * receiver closed or broke is noticed before the next batch (its FIN is read as it arrives)
 * and opened again. RFC 5425 has no acknowledgement: a batch is shipped once TLS has handed
 * it to the kernel (docs/running.md says what that leaves open).
 */
export class SyslogTlsSink implements SiemSink {
  readonly destination: string;
  private socket: TLSSocket | null = null;
  private readonly header: SyslogHeader;

  constructor(private readonly config: SiemShipping & SiemSyslogTls) {
    this.destination = `${config.host}:${config.port}`;
    this.header = { hostname: config.hostname, appName: config.appName, procId: String(process.pid) };
  }

  async write(rows: readonly AuditEvent[]): Promise<void> {
    const socket = await this.connected();
    const frames = Buffer.concat(rows.map((row) => octetCountedFrame(syslogMessage(row, this.header))));
    try {
      await this.withTimeout('write', (done) => socket.write(frames, (error: unknown) => done(error instanceof Error ? error : undefined)));
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), this.config.timeoutMs).unref();
    });
  }

  private static isOpen(socket: TLSSocket): boolean {
    return !socket.destroyed && socket.writable && !socket.readableEnded;
  }

  private async connected(): Promise<TLSSocket> {
    const previous = this.socket;
    if (previous !== null && SyslogTlsSink.isOpen(previous)) return previous;
    previous?.destroy();
    this.socket = null;
    const { host, port, ca, clientCert, clientKey } = this.config;
    const socket = connect({
      host,
      port,
      ca,
      cert: clientCert ?? undefined,
      key: clientKey ?? undefined,
      servername: isIP(host) ? undefined : host,
      minVersion: 'TLSv1.2',
    });
    // The receiver sends nothing but may close: read, so that its FIN is seen ('end').
    socket.on('data', () => undefined);
    socket.on('end', () => socket.destroy());
    try {
      await this.withTimeout('connect', (done) => {
        socket.once('secureConnect', () => done());
        socket.once('error', (error: Error) => done(error));
      });
    } catch (error) {
      socket.destroy();
      throw error;
    }
    // Later errors destroy the socket; the next batch opens another.
    socket.on('error', () => socket.destroy());
    socket.setKeepAlive(true);
    this.socket = socket;
    return socket;
  }

  private withTimeout(what: string, start: (done: (error?: Error) => void) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`syslog ${what} to ${this.destination} timed out after ${this.config.timeoutMs} ms`)), this.config.timeoutMs);
      start((error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      });
    });
  }
}
