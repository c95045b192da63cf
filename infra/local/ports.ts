import { randomInt } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';

/** Ports this process handed out lately: the kernel may offer a closed one again at once. */
const handedOut: number[] = [];
const REMEMBERED_PORTS = 64;

/**
 * A TCP port that was free a moment ago on 127.0.0.1, and not one this
 * process handed out lately (five ports asked for in a row, before any is
 * listened on, are five different ports).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await anyFreePort();
    if (handedOut.includes(port)) continue;
    handedOut.push(port);
    if (handedOut.length > REMEMBERED_PORTS) handedOut.shift();
    return port;
  }
}

/**
 * Two consecutive TCP ports, `port` and `port + 1`, that were free a moment ago on 127.0.0.1,
 * for a server that binds a port and the next (Ceph's monitor: msgr2, then msgr1). They are
 * taken below the kernel's ephemeral range: a port from `freePort` lies inside it, and its
 * neighbour may be given meanwhile to any outgoing connection on the machine, which a busy test
 * run makes by the thousand (the monitor then cannot bind it).
 */
export async function freePortPair(range: { lowest: number; highest: number } = belowEphemeralPorts()): Promise<number> {
  const { lowest, highest } = range;
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = randomInt(lowest, highest);
    if (handedOut.includes(port) || handedOut.includes(port + 1)) continue;
    if (!(await canListen(port)) || !(await canListen(port + 1))) continue;
    handedOut.push(port, port + 1);
    handedOut.splice(0, Math.max(0, handedOut.length - REMEMBERED_PORTS));
    return port;
  }
  throw new Error(`No two consecutive free ports between ${lowest} and ${highest}`);
}

/** Where `freePortPair` picks: the pair's first port from 10000 up to below `highest`, so its second is at most `highest`, the last port below the first the kernel gives outgoing connections (Linux's ip_local_port_range; 32768 elsewhere). */
export function belowEphemeralPorts(): { lowest: number; highest: number } {
  let ephemeralStart = 32_768;
  try {
    ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralStart;
  } catch {
    // not Linux
  }
  return { lowest: 10_000, highest: Math.max(11_000, ephemeralStart - 1) };
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on host:port. */
export function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      // A connection to a free port in the ephemeral range can, rarely, be given that very port as its own
      // and connect to itself (TCP simultaneous open): nobody listens then.
      const connectedToItself = socket.localPort === port && socket.localAddress === socket.remoteAddress;
      socket.destroy();
      resolve(!connectedToItself);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Which process listens on 127.0.0.1:port or any address (Linux /proc), to say what to stop.
 * Undefined when unknown (another OS, another user's process, gone meanwhile).
 */
export function listenerOf(port: number): { pid: number; command: string } | undefined {
  try {
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- one of two fixed /proc paths
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const fields = line.trim().split(/\s+/);
        // local_address is HEX_IP:HEX_PORT; state 0A is LISTEN.
        if (fields.length > 9 && fields[3] === '0A' && parseInt(fields[1].split(':')[1], 16) === port) inodes.add(fields[9]);
      }
    }
    if (inodes.size === 0) return undefined;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let fds: string[];
      try {
        // eslint-disable-next-line security/detect-non-literal-fs-filename -- /proc paths built from numbers
        fds = readdirSync(`/proc/${entry}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          // eslint-disable-next-line security/detect-non-literal-fs-filename -- as above
          target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        } catch {
          continue;
        }
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) {
          // eslint-disable-next-line security/detect-non-literal-fs-filename -- as above
          const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
          return { pid: Number(entry), command };
        }
      }
    }
  } catch {
    // no /proc here
  }
  return undefined;
}

/** A refusal to start on a port that is taken, naming what holds it. */
export function portInUse(port: number, part: string, setting: string): Error {
  const owner = listenerOf(port);
  const holder = owner ? ` by pid ${owner.pid} (${owner.command.slice(0, 120)})` : '';
  return new Error(
    `Port ${port} (${part}) is already in use${holder}. Stop that process${owner ? ` (kill ${owner.pid})` : ''}, or set ${setting} to another port.`,
  );
}
