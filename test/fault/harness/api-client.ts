/**
 * Plain HTTPS to one master's API, with the CA and bearer token of the kubeconfig it wrote: for
 * probes and workloads that must pick which master they talk to and bound every call with a
 * timeout (kubectl retries and caches discovery; a fault test wants the raw answer).
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { parse } from 'yaml';

export interface ApiResponse {
  status: number;
  /** Parsed JSON, or the text when it is not JSON. */
  body: unknown;
}

export interface ApiClient {
  /** The master's URL. */
  server: string;
  /** Rejects on a network error or after `timeoutMs` (default 5 s); any HTTP status resolves. */
  request(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<ApiResponse>;
}

/** A client for the master a kubeconfig names. */
export async function apiClient(kubeconfigPath: string): Promise<ApiClient> {
  const cfg = parse(await readFile(kubeconfigPath, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  const cluster = cfg.clusters[0]!.cluster;
  const ca = Buffer.from(cluster['certificate-authority-data'], 'base64');
  const token = cfg.users[0]!.user.token;
  return {
    server: cluster.server,
    request(method, path, body, timeoutMs = 5_000) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const req = request(new URL(path, cluster.server), {
          method,
          ca,
          agent: false,
          timeout: timeoutMs,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(payload !== undefined ? { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } : {}),
          },
        });
        const timer = setTimeout(() => req.destroy(new Error(`${method} ${path} on ${cluster.server}: no answer within ${timeoutMs} ms`)), timeoutMs);
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => (text += c));
          res.on('end', () => {
            clearTimeout(timer);
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              /* not JSON */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', (err) => {
            clearTimeout(timer);
            reject(err);
          });
        });
        req.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        req.end(payload);
      });
    },
  };
}
