/**
 * Is a Docker engine answering on its unix socket? A real `GET /_ping` (not just "the socket file
 * exists": a stale socket from a dead dockerd must count as no Docker).
 */
import http from 'node:http';

export const DOCKER_SOCKET = '/var/run/docker.sock';

/** True when `GET /_ping` on the socket answers 200 `OK` within `timeoutMs`. */
export function dockerAnswers(socketPath: string = DOCKER_SOCKET, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'OK'));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
  });
}
