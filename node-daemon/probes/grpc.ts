/**
 * The grpc probe (the kubelet's `pkg/probe/grpc`): call `grpc.health.v1.Health/Check` for
 * `service` (empty: the server as a whole) over plaintext HTTP/2 with @grpc/grpc-js. `SERVING`
 * is success. Connecting and the call share the timeout; the failures read as the kubelet's:
 * `timeout: failed to connect service "10.42.0.7:9000" within 1s: …`, `error: this server does
 * not implement the grpc health protocol (grpc.health.v1.Health): …`, `service unhealthy
 * (responded with "NOT_SERVING")`.
 */
import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { ProbeOutcome } from '../../src/actors/pod/probe-spec.ts';
import { goSeconds, hostPort } from './dial.ts';
import { PROBE_USER_AGENT } from './http.ts';

export const HEALTH_CHECK_METHOD = '/grpc.health.v1.Health/Check';

/** grpc/health/v1/health.proto, the messages the Check call carries. */
const HEALTH = protobuf.Root.fromJSON({
  nested: {
    HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
    HealthCheckResponse: {
      fields: { status: { type: 'ServingStatus', id: 1 } },
      nested: { ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } } },
    },
  },
});
const REQUEST = HEALTH.lookupType('HealthCheckRequest');
const RESPONSE = HEALTH.lookupType('HealthCheckResponse');

export interface HealthCheckRequest {
  /** Empty: the server as a whole. */
  service: string;
}

export interface HealthCheckResponse {
  /** `UNKNOWN`, `SERVING`, `NOT_SERVING` or `SERVICE_UNKNOWN`. */
  status: string;
}

export function encodeHealthRequest(request: HealthCheckRequest): Buffer {
  return Buffer.from(REQUEST.encode(REQUEST.create({ service: request.service })).finish());
}

export function decodeHealthRequest(bytes: Buffer): HealthCheckRequest {
  return REQUEST.toObject(REQUEST.decode(bytes), { defaults: true }) as HealthCheckRequest;
}

export function encodeHealthResponse(response: HealthCheckResponse): Buffer {
  return Buffer.from(RESPONSE.encode(RESPONSE.fromObject({ status: response.status })).finish());
}

/** The response; a status it does not name reads `UNKNOWN`. */
export function decodeHealthResponse(bytes: Buffer): HealthCheckResponse {
  return RESPONSE.toObject(RESPONSE.decode(bytes), { enums: String, defaults: true }) as HealthCheckResponse;
}

export function probeGrpc(host: string, port: number, service: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  if (signal.aborted) return Promise.resolve({ result: 'error', output: 'probe aborted' });
  const address = hostPort(host, port);
  const within = goSeconds(timeoutMs / 1000);
  const deadline = Date.now() + timeoutMs;
  const client = new Client(address, credentials.createInsecure(), { 'grpc.primary_user_agent': PROBE_USER_AGENT });
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      client.close();
      resolve(outcome);
    };
    const onAbort = () => done({ result: 'error', output: 'probe aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    client.waitForReady(deadline, (err) => {
      if (settled) return;
      if (err) {
        done({ result: 'failure', output: `timeout: failed to connect service "${address}" within ${within}: context deadline exceeded` });
        return;
      }
      const onAnswer = (callErr: ServiceError | null, response?: HealthCheckResponse) => {
        const status = response?.status ?? 'UNKNOWN';
        if (callErr) done({ result: 'failure', output: callFailure(callErr, within) });
        else if (status !== 'SERVING') done({ result: 'failure', output: `service unhealthy (responded with "${status}")` });
        else done({ result: 'success', output: 'service healthy' });
      };
      client.makeUnaryRequest(HEALTH_CHECK_METHOD, encodeHealthRequest, decodeHealthResponse, { service }, new Metadata(), { deadline }, onAnswer);
    });
  });
}

function callFailure(err: ServiceError, within: string): string {
  switch (err.code) {
    case GrpcStatus.UNIMPLEMENTED:
      return `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${err.details}`;
    case GrpcStatus.DEADLINE_EXCEEDED:
      return `timeout: health rpc did not complete within ${within}`;
    default:
      return `error: health rpc probe failed: ${err.message}`;
  }
}
