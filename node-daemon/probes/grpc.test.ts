/**
 * The grpc probe against real gRPC servers (@grpc/grpc-js) on loopback: one implementing
 * grpc.health.v1.Health, one without it, and a closed port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server, ServerCredentials, status as GrpcStatus, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { createServer, type AddressInfo } from 'node:net';
import {
  decodeHealthRequest,
  decodeHealthResponse,
  encodeHealthRequest,
  encodeHealthResponse,
  HEALTH_CHECK_METHOD,
  probeGrpc,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from './grpc.ts';

const never = new AbortController().signal;

const HEALTH_SERVICE: ServiceDefinition = {
  Check: {
    path: HEALTH_CHECK_METHOD,
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeHealthRequest,
    requestDeserialize: decodeHealthRequest,
    responseSerialize: encodeHealthResponse,
    responseDeserialize: decodeHealthResponse,
  },
};

/** Serving statuses by service name; an unknown name is NOT_FOUND, as grpc-go's health server answers. */
const STATUSES: Record<string, string> = { '': 'SERVING', shop: 'SERVING', cart: 'NOT_SERVING' };
const requests: string[] = [];

async function serve(withHealth: boolean): Promise<{ server: Server; port: number }> {
  const server = new Server();
  if (withHealth) {
    const impl: UntypedServiceImplementation = {
      Check: (call: { request: HealthCheckRequest }, callback: (err: { code: number; details: string } | null, res?: HealthCheckResponse) => void) => {
        requests.push(call.request.service);
        const status = STATUSES[call.request.service];
        if (status === undefined) callback({ code: GrpcStatus.NOT_FOUND, details: 'unknown service' });
        else callback(null, { status });
      },
    };
    server.addService(HEALTH_SERVICE, impl);
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}

let health: { server: Server; port: number };
let bare: { server: Server; port: number };

beforeAll(async () => {
  health = await serve(true);
  bare = await serve(false);
});

afterAll(() => {
  health.server.forceShutdown();
  bare.server.forceShutdown();
});

describe('grpc probe', () => {
  it('succeeds when the server answers SERVING for the service, and asks for the service named', async () => {
    expect(await probeGrpc('127.0.0.1', health.port, '', 1000, never)).toEqual({ result: 'success', output: 'service healthy' });
    expect(await probeGrpc('127.0.0.1', health.port, 'shop', 1000, never)).toEqual({ result: 'success', output: 'service healthy' });
    expect(requests.slice(-2)).toEqual(['', 'shop']);
  });

  it('fails a service that is not serving', async () => {
    expect(await probeGrpc('127.0.0.1', health.port, 'cart', 1000, never)).toEqual({ result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
  });

  it('fails an unknown service with the status the server gave', async () => {
    const outcome = await probeGrpc('127.0.0.1', health.port, 'nope', 1000, never);
    expect(outcome.result).toBe('failure');
    expect(outcome.output).toMatch(/^error: health rpc probe failed: 5 NOT_FOUND: unknown service/);
  });

  it('fails a server without the health service as the kubelet words it', async () => {
    const outcome = await probeGrpc('127.0.0.1', bare.port, '', 1000, never);
    expect(outcome.result).toBe('failure');
    expect(outcome.output).toMatch(/^error: this server does not implement the grpc health protocol \(grpc\.health\.v1\.Health\): /);
  });

  it('fails when nothing listens, after the timeout', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const started = Date.now();
    expect(await probeGrpc('127.0.0.1', port, '', 1000, never)).toEqual({
      result: 'failure',
      output: `timeout: failed to connect service "127.0.0.1:${port}" within 1s: context deadline exceeded`,
    });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
