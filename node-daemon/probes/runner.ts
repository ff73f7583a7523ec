/**
 * The node's probe runner: one run of a probe by its handler, on the node's runtime. exec goes
 * through `runtime.exec` in the container; httpGet, tcpSocket and grpc connect from the daemon to
 * the probe's host or the pod's IP (the process runtime's pods are on 127.0.0.1).
 *
 * The hollow runtime runs nothing, so there is nothing to probe: every probe succeeds there,
 * unless `hollow` decides otherwise (tests make probes fail through it).
 */
import type { ProbeOutcome, ProbeRequest, ProbeRunner } from '../../src/actors/pod/probe-spec.ts';
import type { ContainerRuntime } from '../../src/runtime/types.ts';
import { probeExec } from './exec.ts';
import { probeGrpc } from './grpc.ts';
import { probeHttp } from './http.ts';
import { probeTcp } from './tcp.ts';

export interface ProbeRunnerOptions {
  /** On the hollow runtime, the outcome of each run (default: success). */
  hollow?: (request: ProbeRequest) => ProbeOutcome;
}

const SUCCESS: ProbeOutcome = { result: 'success', output: '' };

export function createProbeRunner(runtime: ContainerRuntime, options: ProbeRunnerOptions = {}): ProbeRunner {
  return async (request, signal) => {
    if (signal.aborted) return { result: 'error', output: 'probe aborted' };
    const { handler } = request;
    if (handler.type === 'invalid') return { result: 'error', output: handler.message };
    if (runtime.name === 'hollow') return options.hollow?.(request) ?? SUCCESS;
    const timeoutMs = request.timeoutSeconds * 1000;
    if (handler.type === 'exec') return probeExec(runtime, request.containerId, handler.command, timeoutMs, signal);
    const host = handler.type === 'grpc' ? request.podIP : (handler.host ?? request.podIP);
    if (host === undefined) return { result: 'error', output: 'the pod has no IP to probe' };
    switch (handler.type) {
      case 'httpGet':
        return probeHttp({ ...handler, host }, timeoutMs, signal);
      case 'tcpSocket':
        return probeTcp(host, handler.port, timeoutMs, signal);
      case 'grpc':
        return probeGrpc(host, handler.port, handler.service ?? '', timeoutMs, signal);
    }
  };
}
