import net from 'node:net';

/** Far above what a local answer or the API's request timeout takes, far below Jest's test timeout. */
const CLOSED_WITHIN_MS = 15_000;

export interface RawExchange {
  /** Everything the server wrote before it closed the socket. */
  answer: string;
  closedByServer: boolean;
}

/**
 * Opens a raw socket to the API, writes `raw` (a whole request, part of one, or nothing, as a slow
 * or malicious client would) and says nothing more. Resolves with what the server wrote when it
 * closes the socket, or after the bound with `closedByServer: false`.
 */
export function rawExchange(baseUrl: string, raw: string): Promise<RawExchange> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    let answer = '';
    const bound = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closedByServer: false });
    }, CLOSED_WITHIN_MS);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(raw));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', (error) => {
      clearTimeout(bound);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(bound);
      resolve({ answer, closedByServer: true });
    });
  });
}
