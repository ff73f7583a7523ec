/**
 * ServiceProxy's own logic against a scripted host (no kernel): coalescing, failure and
 * retry, close, affinity carry-over, host setup once. What the commands do to a real kernel is
 * service-proxy.kernel.test.ts's job.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.ts';
import type { CommandResult, CommandRunner } from '../commands.ts';
import { HostSetupError, InvalidProxyConfigError, NftApplyError, ProxyClosedError } from './errors.ts';
import { ServiceProxy, type ServiceProxyOptions } from './service-proxy.ts';
import { service, slice } from './test-objects.ts';
import type { ProxyMetrics, ProxyState } from './types.ts';

const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
const fail = (stderr: string): CommandResult => ({ exitCode: 1, stdout: '', stderr });

/** A host that records every command and answers as told; `nft -f -` can be held or failed. */
class ScriptedHost {
  readonly calls: { argv: readonly string[]; stdin?: string }[] = [];
  /** Answers for the next `nft -f -` runs, in order (default: success). */
  readonly nftAnswers: CommandResult[] = [];
  /** While set, `nft -f -` waits for it. */
  hold?: Promise<void>;
  /** `nft -j list sets …` answer. */
  setsJson = fail('Error: No such file or directory');
  /** `nft list tables ip` answer: the kernel has our table. */
  tables = ok('table ip nat\ntable ip kp-unit\n');
  /** `sysctl -w` answers, in order (default: success). */
  readonly sysctlAnswers: CommandResult[] = [];

  readonly run: CommandRunner = async (argv, stdin) => {
    this.calls.push({ argv, stdin });
    const cmd = argv.join(' ');
    if (cmd === 'nft -f -') {
      await this.hold;
      return this.nftAnswers.shift() ?? ok();
    }
    if (cmd.startsWith('nft -j list sets')) return this.setsJson;
    if (cmd === 'nft list tables ip') return this.tables;
    if (cmd.startsWith('sysctl -n')) return ok('0\n');
    if (cmd.startsWith('sysctl -w')) return this.sysctlAnswers.shift() ?? ok();
    if (argv[0] === 'iptables') return ok(); // chain present, every rule already there
    throw new Error(`unexpected command ${cmd}`);
  };

  /** The scripts given to `nft -f -`, in order. */
  get applied(): string[] {
    return this.calls.filter((c) => c.argv.join(' ') === 'nft -f -').map((c) => c.stdin ?? '');
  }

  count(prefix: string): number {
    return this.calls.filter((c) => c.argv.join(' ').startsWith(prefix)).length;
  }
}

function held(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}

const http = [{ name: 'http', port: 80, protocol: 'TCP' }];
/** A state with one service `web<n>` on 10.96.0.<n> and one endpoint. */
const stateWith = (n: number, spec = {}): ProxyState => ({
  services: [service(`web${n}`, `10.96.0.${n}`, http, spec)],
  endpointSlices: [slice(`web${n}`, [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.2', node: 'n1' }])],
});

function newProxy(host: ScriptedHost, extra: Partial<ServiceProxyOptions> = {}): ServiceProxy {
  return new ServiceProxy({ table: 'kp-unit', nodeName: 'n1', clusterCIDR: '10.244.0.0/16', run: host.run, manageHostForwarding: false, ...extra });
}

describe('ServiceProxy', () => {
  it('coalesces a burst: one nft run in flight, then one more with the latest state; every caller resolves', async () => {
    const host = new ScriptedHost();
    const proxy = newProxy(host);
    const gate = held();
    host.hold = gate.promise;
    const first = proxy.sync(stateWith(1));
    await waitFor('the first apply to start', () => host.applied.length === 1);
    const burst = [2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => proxy.sync(stateWith(n)));
    host.hold = undefined;
    gate.release();
    await Promise.all([first, ...burst]);
    expect(host.applied).toHaveLength(2);
    expect(host.applied[0]).toContain('10.96.0.1 . tcp . 80');
    expect(host.applied[1]).toContain('10.96.0.10 . tcp . 80');
    expect(host.applied[1]).not.toContain('10.96.0.5 ');
    expect(proxy.metrics.syncs).toBe(2);
  });

  it('applies at once when idle (no delay), each sync its own run', async () => {
    const host = new ScriptedHost();
    const proxy = newProxy(host);
    await proxy.sync(stateWith(1));
    await proxy.sync(stateWith(2));
    expect(host.applied).toHaveLength(2);
  });

  it('a sync that changes no rule runs no nft; unless the table has gone from the kernel', async () => {
    const host = new ScriptedHost();
    let applies = 0;
    const proxy = newProxy(host, { onApplied: () => applies++ });
    const state = stateWith(1);
    await proxy.sync(state);
    // Same rules from new objects (a label changed): nothing to do.
    const relabelled = structuredClone(state);
    relabelled.services[0]!.metadata!.labels = { touched: 'yes' };
    await proxy.sync(relabelled);
    expect(host.applied).toHaveLength(1);
    expect(proxy.metrics).toMatchObject({ syncs: 1, unchanged: 1 });
    expect(applies).toBe(1);

    host.tables = ok('table ip nat\n'); // someone flushed the ruleset
    await proxy.sync(state);
    expect(host.applied).toHaveLength(2);
    expect(proxy.metrics).toMatchObject({ syncs: 2, unchanged: 1 });
  });

  it('after a failed apply the kernel still holds the previous table, and the proxy knows it', async () => {
    const host = new ScriptedHost();
    const proxy = newProxy(host);
    await proxy.sync(stateWith(1));
    host.nftAnswers.push(fail('Error: boom'));
    await expect(proxy.sync(stateWith(2))).rejects.toThrow(/boom/);
    await proxy.sync(stateWith(1)); // what the kernel has: nothing to do
    expect(host.applied).toHaveLength(2);
    await proxy.sync(stateWith(2)); // tried again
    expect(host.applied).toHaveLength(3);
  });

  it('a failed apply rejects with nft\'s stderr, counts, and the next sync tries again', async () => {
    const host = new ScriptedHost();
    const seen: ProxyMetrics[] = [];
    const proxy = newProxy(host, { onApplied: (m) => seen.push(m) });
    host.nftAnswers.push(fail('/dev/stdin:12:5-9: Error: Could not process rule: No such file or directory'));
    const failed = proxy.sync(stateWith(1));
    await expect(failed).rejects.toBeInstanceOf(NftApplyError);
    await expect(failed).rejects.toThrow(/kp-unit.*Could not process rule/);
    expect(proxy.metrics).toMatchObject({ syncs: 0, failures: 1, lastError: expect.stringContaining('Could not process rule') });

    await proxy.sync(stateWith(1));
    expect(host.applied).toHaveLength(2);
    expect(proxy.metrics).toMatchObject({ syncs: 1, failures: 1, lastError: undefined });
    expect(proxy.metrics.rules).toBeGreaterThan(10);
    expect(proxy.metrics.lastSyncAt).toBeGreaterThan(0);
    expect(seen.map((m) => [m.syncs, m.failures])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('a failure rejects every caller whose state that run carried', async () => {
    const host = new ScriptedHost();
    const proxy = newProxy(host);
    const gate = held();
    host.hold = gate.promise;
    const first = proxy.sync(stateWith(1));
    await waitFor('the first apply to start', () => host.applied.length === 1);
    const a = proxy.sync(stateWith(2));
    const b = proxy.sync(stateWith(3));
    host.nftAnswers.push(ok(), fail('Error: boom'));
    host.hold = undefined;
    gate.release();
    await first;
    await expect(a).rejects.toThrow(/boom/);
    await expect(b).rejects.toThrow(/boom/);
  });

  it('close waits for the apply in flight, drops the queued one, deletes the table; later syncs are refused', async () => {
    const host = new ScriptedHost();
    const proxy = newProxy(host);
    const gate = held();
    host.hold = gate.promise;
    const inFlight = proxy.sync(stateWith(1));
    await waitFor('the first apply to start', () => host.applied.length === 1);
    const queued = proxy.sync(stateWith(2));
    const closed = proxy.close();
    expect(proxy.close()).toBe(closed);
    await expect(queued).rejects.toBeInstanceOf(ProxyClosedError);
    host.hold = undefined;
    gate.release();
    await inFlight;
    await closed;
    expect(host.applied).toEqual([expect.stringContaining('10.96.0.1 '), 'table ip kp-unit {}\ndelete table ip kp-unit\n']);
    await expect(proxy.sync(stateWith(3))).rejects.toBeInstanceOf(ProxyClosedError);
  });

  it('reads affinity back only when a service asks for ClientIP, and writes it into the new table', async () => {
    const host = new ScriptedHost();
    const proxy = newProxy(host);
    await proxy.sync(stateWith(1));
    expect(host.count('nft -j list sets')).toBe(0);

    host.setsJson = ok(
      JSON.stringify({
        nftables: [
          { metainfo: { json_schema_version: 1 } },
          { set: { family: 'ip', name: 'aff-default/web1/tcp/http__10.244.1.2/8080', table: 'kp-unit', elem: [{ elem: { val: '10.244.7.7', expires: 99 } }] } },
        ],
      }),
    );
    await proxy.sync(stateWith(1, { sessionAffinity: 'ClientIP' }));
    expect(host.calls.find((c) => c.argv[1] === '-j')!.argv).toEqual(['nft', '-j', 'list', 'sets', 'table', 'ip', 'kp-unit']);
    expect(host.applied[1]).toContain('10.244.7.7 timeout 10800s expires 99s');
  });

  it('an unreadable affinity listing only costs stickiness, not the sync', async () => {
    const host = new ScriptedHost();
    const proxy = newProxy(host);
    host.setsJson = ok('{not json');
    await proxy.sync(stateWith(1, { sessionAffinity: 'ClientIP' }));
    expect(host.applied).toHaveLength(1);
  });

  it('prepares the host once; a failed preparation fails the sync (no nft run) and is retried next time', async () => {
    const host = new ScriptedHost();
    const proxy = newProxy(host, { manageHostForwarding: true });
    host.sysctlAnswers.push(fail('sysctl: permission denied on key "net.ipv4.ip_forward"'));
    await expect(proxy.sync(stateWith(1))).rejects.toBeInstanceOf(HostSetupError);
    expect(host.applied).toHaveLength(0);
    await proxy.sync(stateWith(1));
    await proxy.sync(stateWith(2));
    expect(host.applied).toHaveLength(2);
    expect(host.count('sysctl -w')).toBe(3); // 1 failed + 2 (forwarding, bridge netfilter) once
    expect(host.count('iptables -w -C DOCKER-USER')).toBe(4); // four accept rules, checked once
  });

  it('runs every command inside the namespace it is given', async () => {
    const host = new ScriptedHost();
    const seen: string[][] = [];
    const proxy = newProxy(host, {
      netns: 'kp-ns',
      run: (argv, stdin) => {
        seen.push([...argv]);
        return host.run(argv.slice(4), stdin);
      },
    });
    await proxy.sync(stateWith(1));
    await proxy.close();
    expect(seen.length).toBeGreaterThan(1);
    for (const argv of seen) expect(argv.slice(0, 4)).toEqual(['ip', 'netns', 'exec', 'kp-ns']);
  });

  it('refuses a config it cannot render, naming the field', () => {
    expect(() => newProxy(new ScriptedHost(), { clusterCIDR: '10.244.0.0/40' })).toThrow(InvalidProxyConfigError);
    expect(() => newProxy(new ScriptedHost(), { table: 'no spaces allowed' })).toThrow(/^proxy config table:/);
  });
});
