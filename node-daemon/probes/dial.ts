/**
 * Network errors worded as the kubelet's Go probers report them (`dial tcp 10.42.0.7:8080:
 * connect: connection refused`), so probe Events read as they do in Kubernetes.
 */
import { errorMessage } from '../../src/api/error-message.ts';

/** `host:port`, with an IPv6 host in brackets (Go's `net.JoinHostPort`). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** How Go's net package words the errors Node reports by code. */
const GO_WORDING: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connect: connection refused',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  EADDRNOTAVAIL: 'connect: cannot assign requested address',
  ECONNRESET: 'read: connection reset by peer',
  ETIMEDOUT: 'i/o timeout',
};

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A failed connection to `address` (`host:port`), as Go's dialer says it. */
export function dialErrorText(address: string, err: unknown): string {
  const wording = GO_WORDING[codeOf(err) ?? ''];
  if (wording !== undefined) return `dial tcp ${address}: ${wording}`;
  return errorMessage(err);
}

/** Whether the error came from connecting (rather than from the exchange after it). */
export function isDialError(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && code !== 'ECONNRESET' && code in GO_WORDING;
}

/** A Go duration as `%v` prints whole seconds: `1s`. */
export function goSeconds(seconds: number): string {
  return `${seconds}s`;
}
