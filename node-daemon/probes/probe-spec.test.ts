/** Reading probes from a stored container: defaults, handlers, named ports, what cannot be run. */
import { describe, expect, it } from 'vitest';
import { probesOf, resolvePort } from './probe-spec.ts';

const container = {
  name: 'app',
  image: 'busybox',
  ports: [{ name: 'http', containerPort: 8080 }, { name: 'grpc', containerPort: 9000 }],
};

describe('probesOf', () => {
  it('reads every kind with the API defaults (a 0 counts as unset)', () => {
    const probes = probesOf({
      ...container,
      readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 0 },
      livenessProbe: { tcpSocket: { port: 'http' }, initialDelaySeconds: 5, failureThreshold: 1, terminationGracePeriodSeconds: 7 },
      startupProbe: { httpGet: { port: 8080, path: '/started' }, successThreshold: 4, periodSeconds: 2, failureThreshold: 30 },
    });
    expect(probes).toEqual({
      readiness: { handler: { type: 'exec', command: ['test', '-f', '/tmp/ready'] }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
      liveness: { handler: { type: 'tcpSocket', port: 8080 }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1, terminationGracePeriodSeconds: 7 },
      // successThreshold is 1 for startup (and liveness) probes whatever the spec says.
      startup: {
        handler: { type: 'httpGet', scheme: 'HTTP', port: 8080, path: '/started', headers: [] },
        initialDelaySeconds: 0,
        periodSeconds: 2,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 30,
      },
    });
  });

  it('reads httpGet in full and grpc', () => {
    const probes = probesOf({
      ...container,
      readinessProbe: {
        httpGet: { scheme: 'HTTPS', host: '10.0.0.9', port: 'http', path: '/healthz?full=1', httpHeaders: [{ name: 'Host', value: 'shop' }] },
        successThreshold: 2,
        terminationGracePeriodSeconds: 9,
      },
      livenessProbe: { grpc: { port: 9000, service: 'shop' } },
    });
    expect(probes.readiness).toMatchObject({
      handler: { type: 'httpGet', scheme: 'HTTPS', host: '10.0.0.9', port: 8080, path: '/healthz?full=1', headers: [{ name: 'Host', value: 'shop' }] },
      successThreshold: 2,
    });
    // A probe-level grace is for the kill after a liveness or startup failure only.
    expect(probes.readiness?.terminationGracePeriodSeconds).toBeUndefined();
    expect(probes.liveness?.handler).toEqual({ type: 'grpc', port: 9000, service: 'shop' });
  });

  it('turns what cannot be run into an invalid handler naming the reason', () => {
    const probes = probesOf({
      ...container,
      readinessProbe: { httpGet: { port: 'metrics' } },
      livenessProbe: { exec: { command: [] } },
      startupProbe: { periodSeconds: 3 },
    });
    expect(probes.readiness?.handler).toEqual({ type: 'invalid', message: 'no port named "metrics" in container "app"' });
    expect(probes.liveness?.handler).toEqual({ type: 'invalid', message: 'exec.command is empty' });
    expect(probes.startup?.handler).toEqual({ type: 'invalid', message: 'the probe has no handler (exec, httpGet, tcpSocket or grpc)' });
  });

  it('has no probes for a container without any', () => {
    expect(probesOf(container)).toEqual({});
  });
});

describe('resolvePort', () => {
  it.each([
    [8080, 8080],
    ['http', 8080],
    ['9090', 9090],
    [0, 'invalid port number: 0'],
    [70000, 'invalid port number: 70000'],
    ['nope', 'no port named "nope" in container "app"'],
  ])('%s → %s', (port, expected) => {
    expect(resolvePort(port, container)).toBe(expected);
  });
});
