/**
 * DOCKER-USER handling and the forwarding sysctls in a namespace laid out as Docker leaves a
 * host: FORWARD policy DROP, FORWARD jumping to DOCKER-USER, which ends in RETURN. Rules of
 * other owners must survive everything the proxy does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNetns, runChecked, type CommandRunner } from '../commands.ts';
import { enableKernelForwarding, ensureForwardAccept, forwardRuleTag, removeForwardAccept, splitRuleLine } from './host-forwarding.ts';
import { kernelRequired, kernelUnavailable, NetnsLab } from './netns-lab.ts';
import { ServiceProxy } from './service-proxy.ts';

const unavailable = await kernelUnavailable();
if (unavailable && kernelRequired()) throw new Error(`CI=true but the kernel tests cannot run: ${unavailable}`);

describe('splitRuleLine', () => {
  it('keeps a quoted comment as one word', () => {
    expect(splitRuleLine('-A DOCKER-USER -s 10.244.0.0/16 -m comment --comment "kactus-proxy:t" -j ACCEPT')).toEqual([
      '-A',
      'DOCKER-USER',
      '-s',
      '10.244.0.0/16',
      '-m',
      'comment',
      '--comment',
      'kactus-proxy:t',
      '-j',
      'ACCEPT',
    ]);
  });
});

describe.skipIf(unavailable)('host forwarding (a Docker-like namespace)', () => {
  const lab = new NetnsLab();
  const table = `${lab.id}-t`;
  const tag = forwardRuleTag(table);
  let run: CommandRunner;
  const rules = async () => (await runChecked(run, ['iptables', '-w', '-S'])).split('\n').filter(Boolean);

  beforeAll(async () => {
    run = inNetns(await lab.netns('host'));
    for (const args of [
      ['-P', 'FORWARD', 'DROP'],
      ['-N', 'DOCKER-USER'],
      ['-A', 'DOCKER-USER', '-j', 'RETURN'],
      ['-A', 'FORWARD', '-j', 'DOCKER-USER'],
      // Another daemon's proxy on this host, and a predecessor of ours with another CIDR.
      ['-I', 'DOCKER-USER', '-s', '10.99.0.0/16', '-m', 'comment', '--comment', forwardRuleTag('other'), '-j', 'ACCEPT'],
      ['-I', 'DOCKER-USER', '-s', '10.55.0.0/16', '-m', 'comment', '--comment', tag, '-j', 'ACCEPT'],
    ]) {
      await runChecked(run, ['iptables', '-w', ...args]);
    }
    await runChecked(run, ['sysctl', '-w', 'net.ipv4.ip_forward=0']);
  });

  afterAll(async () => {
    await lab.cleanup();
    expect(await lab.leftovers()).toEqual([]);
  });

  it('turns forwarding on', async () => {
    await enableKernelForwarding(run);
    expect((await runChecked(run, ['sysctl', '-n', 'net.ipv4.ip_forward'])).trim()).toBe('1');
    expect((await runChecked(run, ['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables'])).trim()).toBe('1');
  });

  it('adds its accepts ahead of Docker\'s RETURN, replaces its stale rule, leaves the rest alone; twice is once', async () => {
    const state = await ensureForwardAccept(run, table, '10.244.0.0/16');
    expect(state).toEqual({ createdChain: false });
    const after = await rules();
    const chain = after.filter((l) => l.startsWith('-A DOCKER-USER'));
    expect(chain.filter((l) => l.includes(tag))).toHaveLength(4);
    expect(chain.some((l) => l.includes('10.55.0.0/16'))).toBe(false);
    expect(chain.at(-1)).toBe('-A DOCKER-USER -j RETURN');
    expect(chain.some((l) => l.includes(forwardRuleTag('other')))).toBe(true);
    // Docker's jump is there: no second one.
    expect(after.filter((l) => l.startsWith('-A FORWARD'))).toEqual(['-A FORWARD -j DOCKER-USER']);

    await ensureForwardAccept(run, table, '10.244.0.0/16');
    expect(await rules()).toEqual(after);
  });

  it('removes exactly its own rules and keeps the chain it did not create', async () => {
    await removeForwardAccept(run, table, { createdChain: false });
    const after = await rules();
    expect(after.filter((l) => l.includes(tag))).toEqual([]);
    expect(after).toContain('-A DOCKER-USER -j RETURN');
    expect(after).toContain('-A FORWARD -j DOCKER-USER');
    expect(after.some((l) => l.includes(forwardRuleTag('other')))).toBe(true);
  });

  it('a ServiceProxy given a CIDR with host bits keeps its rules (iptables prints it canonical)', async () => {
    const proxy = new ServiceProxy({ table, nodeName: 'n1', clusterCIDR: '10.244.3.4/16', run });
    await proxy.sync({ services: [], endpointSlices: [] });
    const ours = (await rules()).filter((l) => l.includes(tag));
    expect(ours).toHaveLength(4);
    expect(ours.filter((l) => l.includes('10.244.0.0/16'))).toHaveLength(2);
    await proxy.close();
    expect((await rules()).filter((l) => l.includes(tag))).toEqual([]);
  });
});
