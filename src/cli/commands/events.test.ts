import { describe, expect, it } from 'vitest';
import { eventStreamUrl } from '../event-stream.ts';
import type { ClusterConnection } from '../kubeconfig.ts';
import { formatStreamLine, namespaceFilter } from './events.ts';

// A local wall-clock time, so the expected `HH:MM:SS.mmm` holds in any time zone.
const at = new Date(2024, 0, 2, 3, 4, 5, 6).toISOString();

describe('formatStreamLine', () => {
  it('prints a transition as time, object, actor, from → to and the event', () => {
    const line = formatStreamLine({ type: 'transition', index: 7, time: at, kind: 'Pod', namespace: 'default', name: 'web', uid: 'u', actor: 'container:app', from: 'waiting', to: 'starting', event: 'container.start' });
    expect(line).toBe(`03:04:05.006  ${'Pod/default/web'.padEnd(32)} ${'container:app'.padEnd(14)} waiting → starting  (container.start)`);
  });

  it('marks an actor\'s first state with ∅, its own machine with -, and leaves the namespace out for cluster-scoped objects', () => {
    const line = formatStreamLine({ type: 'transition', index: 1, time: at, kind: 'Node', namespace: '', name: 'n1', uid: 'u', actor: '', from: '', to: 'running.reachable.daemon.ready|running.reachable.heartbeats.arriving', event: 'xstate.init' });
    expect(line).toBe(`03:04:05.006  ${'Node/n1'.padEnd(32)} ${'-'.padEnd(14)} ∅ → running.reachable.daemon.ready|running.reachable.heartbeats.arriving  (xstate.init)`);
  });

  it('prints a snapshot as the actor\'s current state', () => {
    const line = formatStreamLine({ type: 'snapshot', index: 3, time: at, kind: 'Deployment', namespace: 'prod', name: 'api', uid: 'u', actor: '', from: 'progressing', to: 'complete', event: 'rollout.done' });
    expect(line).toBe(`03:04:05.006  ${'Deployment/prod/api'.padEnd(32)} ${'-'.padEnd(14)} = complete  (rollout.done)`);
  });

  it('prints a Kubernetes Event with its object, type, reason, message and count', () => {
    const event = { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container', count: 3, involvedObject: { kind: 'Pod', namespace: 'default', name: 'web' } };
    expect(formatStreamLine({ type: 'event', index: 9, time: at, event })).toBe(`03:04:05.006  ${'Pod/default/web'.padEnd(32)} Event Warning BackOff: Back-off restarting failed container (x3)`);
    expect(formatStreamLine({ type: 'event', index: 9, time: at, event: { ...event, count: 1 } })).toMatch(/failed container$/);
  });

  it('prints nothing for markers and heartbeats, and a time it cannot read as it is', () => {
    expect(formatStreamLine({ type: 'snapshot-end', index: 4 })).toBeUndefined();
    expect(formatStreamLine({ type: 'heartbeat', index: 4 })).toBeUndefined();
    expect(formatStreamLine({ type: 'transition', index: 1, time: 'soon', kind: 'Pod', namespace: 'a', name: 'b', actor: '', from: 'x', to: 'y', event: 'e' })).toMatch(/^soon {2}Pod\/a\/b/);
  });
});

describe('the stream query', () => {
  const conn: ClusterConnection = { server: 'https://127.0.0.1:6443', insecureSkipTlsVerify: false, namespace: 'default' };

  it('puts every filter and the resume index in the URL, lists as repeated parameters', () => {
    const url = eventStreamUrl(conn, { kinds: ['Pod', 'Node'], namespaces: ['default'], names: ['web'], labelSelector: 'app=web,tier!=db', index: 42 });
    expect(url.protocol).toBe('wss:');
    expect(url.pathname).toBe('/kactus/v1/events');
    expect(url.searchParams.getAll('kind')).toEqual(['Pod', 'Node']);
    expect(url.searchParams.getAll('namespace')).toEqual(['default']);
    expect(url.searchParams.getAll('name')).toEqual(['web']);
    expect(url.searchParams.get('labelSelector')).toBe('app=web,tier!=db');
    expect(url.searchParams.get('index')).toBe('42');
    expect(eventStreamUrl({ ...conn, server: 'http://h:1' }, {}).href).toBe('ws://h:1/kactus/v1/events');
  });

  it('asks for the context\'s namespace, -n, every namespace with -A, and none for cluster-scoped kinds', () => {
    expect(namespaceFilter({}, [], 'team')).toEqual(['team']);
    expect(namespaceFilter({ namespace: 'prod' }, ['Pod'], 'team')).toEqual(['prod']);
    expect(namespaceFilter({ allNamespaces: true }, ['Pod'], 'team')).toEqual([]);
    expect(namespaceFilter({ namespace: 'prod' }, ['Node'], 'team')).toEqual([]);
    expect(namespaceFilter({}, ['Node', 'Pod'], 'team')).toEqual(['team']);
  });
});
