import { describe, expect, it } from 'vitest';
import { LineSplitter, toRuntimeEvent } from './docker-events.ts';
import { LABELS, containerCreateOptions, cpuQuota, cpuShares } from './docker-spec.ts';
import { InvalidContainerSpecError } from '../../src/runtime/errors.ts';
import type { ContainerSpec } from '../../src/runtime/types.ts';

const pod = { uid: 'u1', namespace: 'ns', name: 'web-0' };
const options = (spec: Partial<ContainerSpec>) =>
  containerCreateOptions({ node: 'n1', pod, sandboxId: 'sb', spec: { name: 'app', image: 'busybox', ...spec }, volumes: [], extraLabels: {} });

describe('containerCreateOptions', () => {
  it('maps command to Entrypoint and args to Cmd, leaving the image\'s where unset', () => {
    expect(options({ command: ['echo'], args: ['a'] })).toMatchObject({ Entrypoint: ['echo'], Cmd: ['a'] });
    const argsOnly = options({ args: ['a'] });
    expect(argsOnly.Cmd).toEqual(['a']);
    expect(argsOnly).not.toHaveProperty('Entrypoint');
    const neither = options({});
    expect(neither).not.toHaveProperty('Entrypoint');
    expect(neither).not.toHaveProperty('Cmd');
  });

  it('sets no limits unless asked, and Kubernetes\' CPU arithmetic when asked', () => {
    const host = options({}).HostConfig!;
    expect(host.Memory).toBeUndefined();
    expect(host.CpuShares).toBeUndefined();
    expect(cpuShares(1000)).toBe(1024);
    expect(cpuShares(1)).toBe(2);
    expect(cpuQuota(1500)).toBe(150_000);
    expect(cpuQuota(1)).toBe(1000);
  });

  it('keeps stdin open and allocates a terminal only when the spec asks (kubectl run -i -t)', () => {
    const plain = options({});
    expect(plain).not.toHaveProperty('OpenStdin');
    expect(plain).not.toHaveProperty('Tty');
    expect(options({ stdin: true, stdinOnce: true, tty: true })).toMatchObject({ OpenStdin: true, StdinOnce: true, Tty: true });
    // stdinOnce means nothing without stdin.
    expect(options({ stdinOnce: true })).not.toHaveProperty('StdinOnce');
  });

  it('rejects a mount naming no volume', () => {
    expect(() => options({ volumeMounts: [{ name: 'nope', mountPath: '/x' }] })).toThrow(InvalidContainerSpecError);
  });

  it('gives each container a distinct, valid Docker name', () => {
    const a = options({}).name!;
    expect(a).toMatch(/^kactus_n1_ns_web-0_app_[0-9a-f]{6}$/);
    expect(options({}).name).not.toBe(a);
  });
});

describe('Docker event stream parsing', () => {
  const message = (action: string, extra: Record<string, string> = {}) =>
    JSON.stringify({
      Type: 'container',
      Action: action,
      Actor: { ID: 'c1', Attributes: { [LABELS.podUid]: 'u1', [LABELS.role]: 'container', [LABELS.containerName]: 'app', ...extra } },
      timeNano: 1_700_000_000_123_000_000,
    });

  it('reassembles JSON lines split across chunks and several in one chunk', () => {
    const text = `${message('start')}\n${message('die', { exitCode: '3' })}\n`;
    const bytes = Buffer.from(text);
    const splitter = new LineSplitter();
    const lines = [...splitter.push(bytes.subarray(0, 17)), ...splitter.push(bytes.subarray(17, 130)), ...splitter.push(bytes.subarray(130))];
    expect(lines.map((l) => (JSON.parse(l) as { Action: string }).Action)).toEqual(['start', 'die']);
  });

  it('keeps a multi-byte character split between chunks intact', () => {
    const bytes = Buffer.from('{"a":"é"}\n');
    const splitter = new LineSplitter();
    expect([...splitter.push(bytes.subarray(0, 7)), ...splitter.push(bytes.subarray(7))]).toEqual(['{"a":"é"}']);
  });

  it('maps start, die and oom, and ignores other actions', () => {
    expect(toRuntimeEvent(JSON.parse(message('die', { exitCode: '3' })))).toEqual({
      type: 'exited',
      role: 'container',
      containerId: 'c1',
      podUid: 'u1',
      containerName: 'app',
      exitCode: 3,
      time: new Date(1_700_000_000_123),
    });
    expect(toRuntimeEvent(JSON.parse(message('oom')))?.type).toBe('oom');
    expect(toRuntimeEvent(JSON.parse(message('start')))?.type).toBe('started');
    expect(toRuntimeEvent(JSON.parse(message('create')))).toBeUndefined();
  });
});
