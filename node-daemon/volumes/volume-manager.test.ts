/**
 * The volume manager on a real directory: each kind of volume set up, items/defaultMode/mode,
 * the kubelet's messages for what cannot be set up, refresh (a changed ConfigMap, a changed
 * label, a token due for renewal, a source gone keeps the old contents), claims, tmpfs for
 * `medium: Memory` (as root), teardown; and container configs with env and subPaths.
 */
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/api/object.ts';
import { ContainerConfigError, VolumeMountError } from '../../src/actors/pod/config-errors.ts';
import { buildContainerConfig, type ContainerConfigInput } from '../container-config.ts';
import { configMap, secret, TestObjects } from '../test-objects.ts';
import { mountsUnder } from './tmpfs.ts';
import { TokenManager } from './token-manager.ts';
import { VolumeManager, volumeDir, type MountedVolume } from './volume-manager.ts';

const isRoot = process.getuid?.() === 0;

let dir: string;
let objects: TestObjects;
let tokenCount: number;
let now: number;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-volumes-'));
  tokenCount = 0;
  now = Date.UTC(2024, 0, 1);
  objects = new TestObjects({
    configmaps: [configMap('ns', 'cfg', { 'app.conf': 'v=1', other: 'o' }, { 'blob.bin': Buffer.from([0, 1, 2]).toString('base64') }), configMap('ns', 'kube-root-ca.crt', { 'ca.crt': 'CA PEM' })],
    secrets: [secret('ns', 'creds', { password: 'hunter2' })],
    services: [],
  });
});
afterEach(async () => {
  for (const m of await mountsUnder(dir).catch(() => [])) await import('./tmpfs.ts').then((t) => t.unmountAll(m));
  await rm(dir, { recursive: true, force: true });
});

function manager(over: Partial<ConstructorParameters<typeof VolumeManager>[0]> = {}): VolumeManager {
  const tokens = new TokenManager(async (req) => {
    tokenCount += 1;
    return { token: `token-${tokenCount}-${req.serviceAccountName}`, expirationTimestamp: new Date(now + (req.expirationSeconds ?? 3600) * 1000).toISOString(), caCertPem: 'CA' };
  }, () => now);
  return new VolumeManager({ dataDir: dir, node: () => ({ name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } }), objects, allocatable: { cpu: '2', memory: '1Gi' }, tokens, writeContents: true, ...over });
}

function pod(volumes: JsonObject[], containers: JsonObject[] = [{ name: 'app' }], labels: Record<string, string> = { app: 'web' }): JsonObject {
  return { metadata: { name: 'p', namespace: 'ns', uid: 'uid-1', labels }, spec: { serviceAccountName: 'builder', containers, volumes } };
}

const vdir = (name: string) => volumeDir(dir, 'uid-1', name);
const read = (path: string) => readFile(path, 'utf8');
const mode = async (path: string) => (await stat(path)).mode & 0o777;

async function mountError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(VolumeMountError);
    return (err as Error).message;
  }
  throw new Error('no VolumeMountError');
}

describe('VolumeManager.setUp', () => {
  it('configMap: every key (data and binaryData) with defaultMode, as AtomicWriter links, read-only', async () => {
    const [v] = await manager().setUp(pod([{ name: 'cfg', configMap: { name: 'cfg', defaultMode: 0o640 } }]));
    expect(v).toEqual({ name: 'cfg', hostPath: vdir('cfg'), readOnly: true, content: true });
    expect(await read(join(vdir('cfg'), 'app.conf'))).toBe('v=1');
    expect([...(await readFile(join(vdir('cfg'), 'blob.bin')))]).toEqual([0, 1, 2]);
    expect(await readlink(join(vdir('cfg'), 'app.conf'))).toBe('..data/app.conf');
    expect(await mode(join(vdir('cfg'), 'app.conf'))).toBe(0o640);
  });

  it('items pick keys to paths, with their own mode; secret data decoded', async () => {
    await manager().setUp(
      pod([
        { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'etc/app.conf', mode: 0o600 }] } },
        { name: 'sec', secret: { secretName: 'creds', defaultMode: 0o400 } },
      ]),
    );
    expect((await readdir(vdir('cfg'))).filter((n) => !n.startsWith('..'))).toEqual(['etc']);
    expect(await read(join(vdir('cfg'), 'etc/app.conf'))).toBe('v=1');
    expect(await mode(join(vdir('cfg'), 'etc/app.conf'))).toBe(0o600);
    expect(await read(join(vdir('sec'), 'password'))).toBe('hunter2');
    expect(await mode(join(vdir('sec'), 'password'))).toBe(0o400);
  });

  it("the kubelet's messages for what is missing; optional ones give an empty volume", async () => {
    const m = manager();
    expect(await mountError(m.setUp(pod([{ name: 'cfg', configMap: { name: 'x' } }])))).toBe('MountVolume.SetUp failed for volume "cfg" : configmap "x" not found');
    expect(await mountError(m.setUp(pod([{ name: 'sec', secret: { secretName: 'x' } }])))).toBe('MountVolume.SetUp failed for volume "sec" : secret "x" not found');
    expect(await mountError(m.setUp(pod([{ name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'nope', path: 'n' }] } }])))).toBe(
      'MountVolume.SetUp failed for volume "cfg" : configmap references non-existent config key: nope',
    );
    expect(await mountError(m.setUp(pod([{ name: 'sec', secret: { secretName: 'creds', items: [{ key: 'nope', path: 'n' }] } }])))).toBe(
      'MountVolume.SetUp failed for volume "sec" : references non-existent secret key: nope',
    );
    expect(await mountError(m.setUp(pod([{ name: 'nfs', nfs: { server: 'x', path: '/' } }])))).toBe('MountVolume.SetUp failed for volume "nfs" : nfs volumes are not supported on this node');
    await m.setUp(pod([{ name: 'opt', configMap: { name: 'x', optional: true } }, { name: 'opt2', secret: { secretName: 'creds', optional: true, items: [{ key: 'nope', path: 'n' }] } }]));
    expect((await readdir(vdir('opt'))).filter((n) => !n.startsWith('..'))).toEqual([]);
    expect(await mountError(manager({ objects: new TestObjects().unsync('configmaps') }).setUp(pod([{ name: 'cfg', configMap: { name: 'cfg', optional: true } }])))).toBe(
      'MountVolume.SetUp failed for volume "cfg" : failed to sync configmap cache: timed out waiting for the condition',
    );
  });

  it('downwardAPI: metadata fields and resources', async () => {
    await manager().setUp(
      pod(
        [
          {
            name: 'info',
            downwardAPI: {
              items: [
                { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
                { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
              ],
            },
          },
        ],
        [{ name: 'app' }],
        { app: 'web', tier: 'a b' },
      ),
    );
    expect(await read(join(vdir('info'), 'labels'))).toBe('app="web"\ntier="a b"');
    expect(await read(join(vdir('info'), 'name'))).toBe('p');
    expect(await read(join(vdir('info'), 'mem'))).toBe('1024');
    expect(await mountError(manager().setUp(pod([{ name: 'info', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'spec.nodeName' } }, { path: 'm', resourceFieldRef: { containerName: 'x', resource: 'limits.cpu' } }] } }])))).toBe(
      'MountVolume.SetUp failed for volume "info" : [unsupported fieldPath: spec.nodeName, container x not found]',
    );
  });

  it('projected: a ServiceAccount token, the CA and the namespace, as kube-api-access-*', async () => {
    const access = {
      name: 'kube-api-access-abcde',
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    };
    await manager().setUp(pod([access]));
    const d = vdir('kube-api-access-abcde');
    expect(await read(join(d, 'token'))).toBe('token-1-builder');
    expect(await read(join(d, 'ca.crt'))).toBe('CA PEM');
    expect(await read(join(d, 'namespace'))).toBe('ns');
    expect(await mode(join(d, 'token'))).toBe(0o644);
    objects.remove('configmaps', 'ns/kube-root-ca.crt');
    expect(await mountError(manager().setUp(pod([access])))).toBe('MountVolume.SetUp failed for volume "kube-api-access-abcde" : configmap "kube-root-ca.crt" not found');
    const refusing = new TokenManager(async () => {
      throw new Error('unavailable: no token issuer on this master');
    });
    objects.put('configmaps', configMap('ns', 'kube-root-ca.crt', { 'ca.crt': 'CA PEM' }));
    expect(await mountError(manager({ tokens: refusing }).setUp(pod([access])))).toBe(
      'MountVolume.SetUp failed for volume "kube-api-access-abcde" : failed to fetch token: unavailable: no token issuer on this master',
    );
  });

  it('emptyDir 0777; hostPath types', async () => {
    const host = join(dir, 'host');
    await mkdir(join(host, 'adir'), { recursive: true });
    await writeFile(join(host, 'afile'), 'x');
    const vols = await manager().setUp(
      pod([
        { name: 'scratch', emptyDir: {} },
        { name: 'made', hostPath: { path: join(host, 'new/dir'), type: 'DirectoryOrCreate' } },
        { name: 'touched', hostPath: { path: join(host, 'new.txt'), type: 'FileOrCreate' } },
        { name: 'dir', hostPath: { path: join(host, 'adir'), type: 'Directory' } },
        { name: 'file', hostPath: { path: join(host, 'afile'), type: 'File' } },
        { name: 'any', hostPath: { path: join(host, 'whatever') } },
      ]),
    );
    expect(vols.map((v) => v.hostPath)).toEqual([vdir('scratch'), join(host, 'new/dir'), join(host, 'new.txt'), join(host, 'adir'), join(host, 'afile'), join(host, 'whatever')]);
    expect(await mode(vdir('scratch'))).toBe(0o777);
    expect((await stat(join(host, 'new/dir'))).isDirectory()).toBe(true);
    expect((await stat(join(host, 'new.txt'))).isFile()).toBe(true);
    const m = manager();
    expect(await mountError(m.setUp(pod([{ name: 'h', hostPath: { path: join(host, 'afile'), type: 'Directory' } }])))).toBe(
      `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${join(host, 'afile')} is not a directory`,
    );
    expect(await mountError(m.setUp(pod([{ name: 'h', hostPath: { path: join(host, 'missing'), type: 'File' } }])))).toBe(
      `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${join(host, 'missing')} is not a file`,
    );
    expect(await mountError(m.setUp(pod([{ name: 'h', hostPath: { path: join(host, 'adir'), type: 'Socket' } }])))).toBe(
      `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${join(host, 'adir')} is not a socket file`,
    );
  });

  it('persistentVolumeClaim: the bound local PV of this node; every way it is not usable yet', async () => {
    const pvPath = join(dir, 'volumes', 'pvc-1');
    const claim = (over: JsonObject = {}) => ({ metadata: { namespace: 'ns', name: 'data', uid: 'c-1' }, spec: { volumeName: 'pvc-1' }, status: { phase: 'Bound' }, ...over });
    const pv = (node: string) => ({
      metadata: { name: 'pvc-1' },
      spec: {
        local: { path: pvPath },
        claimRef: { namespace: 'ns', name: 'data', uid: 'c-1' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
      },
    });
    const volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }];
    const m = manager();
    const prefix = 'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data]: error processing PVC ns/data: ';
    expect(await mountError(m.setUp(pod(volumes)))).toBe(`${prefix}failed to fetch PVC from API server: persistentvolumeclaims "data" not found`);
    objects.put('persistentvolumeclaims', claim({ spec: {}, status: { phase: 'Pending' } }));
    expect(await mountError(m.setUp(pod(volumes)))).toBe(`${prefix}PVC is not bound`);
    objects.put('persistentvolumeclaims', claim());
    expect(await mountError(m.setUp(pod(volumes)))).toBe(`${prefix}failed to fetch PV pvc-1 from API server: persistentvolumes "pvc-1" not found`);
    objects.put('persistentvolumes', pv('n2'));
    expect(await mountError(m.setUp(pod(volumes)))).toBe('MountVolume.NodeAffinity check failed for volume "pvc-1" : no matching NodeSelectorTerms');
    objects.put('persistentvolumes', pv('n1'));
    expect(await mountError(m.setUp(pod(volumes)))).toBe(`MountVolume.NewMounter initialization failed for volume "pvc-1" : path "${pvPath}" does not exist`);
    await mkdir(pvPath, { recursive: true });
    expect(await m.setUp(pod([{ name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: true } }]))).toEqual([{ name: 'data', hostPath: pvPath, readOnly: true, content: false }]);
    objects.put('persistentvolumeclaims', claim({ metadata: { namespace: 'ns', name: 'data', uid: 'c-2' } }));
    expect(await mountError(m.setUp(pod(volumes)))).toBe(`${prefix}found PV object "pvc-1" but its pv.Spec.ClaimRef.UID ("c-1") does not point to claim.UID ("c-2")`);
  });

  it('a node that writes no contents checks the sources and writes nothing', async () => {
    const hollow = manager({ writeContents: false });
    expect(await mountError(hollow.setUp(pod([{ name: 'cfg', configMap: { name: 'x' } }])))).toBe('MountVolume.SetUp failed for volume "cfg" : configmap "x" not found');
    await hollow.setUp(pod([{ name: 'cfg', configMap: { name: 'cfg' } }, { name: 'tmp', emptyDir: { medium: 'Memory' } }, { name: 'access', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }]));
    await expect(readdir(join(dir, 'pods'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(tokenCount).toBe(0);
  });

  it.skipIf(!isRoot)('secret volumes and projected ones with a Secret are tmpfs (their files never reach the disk); others are not; all unmounted at teardown', async () => {
    const m = manager();
    await m.setUp(
      pod([
        { name: 'creds', secret: { secretName: 'creds' } },
        { name: 'mixed', projected: { sources: [{ secret: { name: 'creds' } }, { configMap: { name: 'cfg' } }] } },
        { name: 'access', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
        { name: 'cfg', configMap: { name: 'cfg' } },
      ]),
    );
    expect(new Set(await mountsUnder(dir))).toEqual(new Set([vdir('creds'), vdir('mixed')]));
    expect(await read(join(vdir('mixed'), 'password'))).toBe('hunter2');
    expect(await read(join(vdir('creds'), 'password'))).toBe('hunter2');
    // A refresh writes into the same tmpfs.
    await m.refresh(pod([{ name: 'creds', secret: { secretName: 'creds' } }]));
    expect(await mountsUnder(vdir('creds'))).toEqual([vdir('creds')]);
    await m.tearDown('uid-1');
    expect(await mountsUnder(dir)).toEqual([]);
  });

  it.skipIf(!isRoot)('medium: Memory is a tmpfs on the volume dir (with its size limit), unmounted at teardown', async () => {
    const m = manager();
    await m.setUp(pod([{ name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }]));
    expect(await mountsUnder(vdir('mem'))).toEqual([vdir('mem')]);
    const line = (await readFile('/proc/self/mounts', 'utf8')).split('\n').find((l) => l.split(' ')[1] === vdir('mem'))!;
    expect(line).toMatch(/^tmpfs \S+ tmpfs .*size=8192k/);
    // Set up again (a retry, an adopted pod): still one mount.
    await m.setUp(pod([{ name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }]));
    expect(await mountsUnder(vdir('mem'))).toHaveLength(1);
    await writeFile(join(vdir('mem'), 'f'), 'x');
    await m.tearDown('uid-1');
    expect(await mountsUnder(dir)).toEqual([]);
    await expect(lstat(join(dir, 'pods', 'uid-1'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('VolumeManager.refresh', () => {
  it('follows the ConfigMap, the labels and the token; a source gone keeps the old files', async () => {
    const m = manager();
    const volumes = [
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'access', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 600 } }] } },
    ];
    await m.setUp(pod(volumes));
    const firstData = await readlink(join(vdir('cfg'), '..data'));
    expect(await m.refresh(pod(volumes))).toEqual([]);
    expect(await readlink(join(vdir('cfg'), '..data'))).toBe(firstData);

    objects.put('configmaps', configMap('ns', 'cfg', { 'app.conf': 'v=2' }));
    await m.refresh(pod(volumes, undefined, { app: 'web', version: '2' }));
    expect(await read(join(vdir('cfg'), 'app.conf'))).toBe('v=2');
    await expect(lstat(join(vdir('cfg'), 'other'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await read(join(vdir('info'), 'labels'))).toBe('app="web"\nversion="2"');
    expect(await read(join(vdir('access'), 'token'))).toBe('token-1-builder');

    now += 480_000;
    await m.refresh(pod(volumes));
    expect(await read(join(vdir('access'), 'token'))).toBe('token-2-builder');

    objects.remove('configmaps', 'ns/cfg');
    const failures = await m.refresh(pod(volumes));
    expect(failures.map((f) => f.message)).toEqual(['MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found']);
    expect(await read(join(vdir('cfg'), 'app.conf'))).toBe('v=2');
  });
});

describe('buildContainerConfig', () => {
  async function config(container: JsonObject, volumes: JsonObject[], over: Partial<ContainerConfigInput> = {}) {
    const p = pod(volumes, [container]);
    const mounted: MountedVolume[] = await manager().setUp(p);
    return buildContainerConfig({
      pod: p,
      base: { name: String(container.name), image: 'busybox', command: ['sh', '-c', 'echo $(GREETING)'] },
      extra: { mounts: [{ name: 'kactus:resolv.conf', mountPath: '/etc/resolv.conf', readOnly: true }], volumes: [{ name: 'kactus:resolv.conf', hostPath: '/x/resolv.conf' }] },
      volumes: mounted,
      objects,
      runtime: { podIP: '10.0.0.9' },
      allocatable: { cpu: '1', memory: '1Gi' },
      dataDir: dir,
      writeFiles: true,
      ...over,
    });
  }

  it('env, expanded command, mounts (content volumes read-only) and the node extras', async () => {
    const { spec, volumes } = await config(
      { name: 'app', env: [{ name: 'GREETING', value: 'hi' }, { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }], volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }, { name: 'scratch', mountPath: '/tmp/s' }] },
      [{ name: 'cfg', configMap: { name: 'cfg' } }, { name: 'scratch', emptyDir: {} }],
    );
    expect(spec.env).toEqual({ GREETING: 'hi', IP: '10.0.0.9' });
    expect(spec.command).toEqual(['sh', '-c', 'echo hi']);
    expect(spec.volumeMounts).toEqual([
      { name: 'cfg', mountPath: '/etc/cfg', readOnly: true },
      { name: 'scratch', mountPath: '/tmp/s' },
      { name: 'kactus:resolv.conf', mountPath: '/etc/resolv.conf', readOnly: true },
    ]);
    expect(volumes.map((v) => v.name)).toEqual(['cfg', 'scratch', 'kactus:resolv.conf']);
  });

  it('subPath of a ConfigMap key: the version of now, kept after an update', async () => {
    const vols = [{ name: 'cfg', configMap: { name: 'cfg' } }];
    const container = { name: 'app', volumeMounts: [{ name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' }] };
    const { spec, volumes } = await config(container, vols);
    const bound = volumes.find((v) => v.name === spec.volumeMounts![0]!.name)!;
    expect(bound.hostPath).toBe(join(dir, 'pods', 'uid-1', 'volume-subpaths', 'cfg', 'app', '0'));
    expect(await read(bound.hostPath)).toBe('v=1');
    objects.put('configmaps', configMap('ns', 'cfg', { 'app.conf': 'v=2' }));
    await manager().refresh(pod(vols, [container]));
    expect(await read(join(vdir('cfg'), 'app.conf'))).toBe('v=2');
    expect(await read(bound.hostPath)).toBe('v=1');
  });

  it('subPath and subPathExpr in a writable volume: made when missing; never out of the volume', async () => {
    const vols = [{ name: 'scratch', emptyDir: {} }];
    const { spec, volumes } = await config(
      { name: 'app', env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], volumeMounts: [{ name: 'scratch', mountPath: '/logs', subPathExpr: 'logs/$(POD)' }] },
      vols,
    );
    const bound = volumes.find((v) => v.name === spec.volumeMounts![0]!.name)!;
    expect(bound.hostPath).toBe(join(vdir('scratch'), 'logs/p'));
    expect((await stat(bound.hostPath)).isDirectory()).toBe(true);

    const fail = (m: JsonObject) => config({ name: 'app', volumeMounts: [m] }, vols).then(() => '', (e: Error) => (e instanceof ContainerConfigError ? e.message : `other: ${e.message}`));
    expect(await fail({ name: 'scratch', mountPath: '/x', subPath: '../../etc' })).toBe("unable to provision SubPath `../../etc`: must not contain '..'");
    expect(await fail({ name: 'scratch', mountPath: '/x', subPath: '/etc' })).toBe('error SubPath `/etc` must not be an absolute path');
    expect(await fail({ name: 'scratch', mountPath: '/x', subPathExpr: '$(NOPE)' })).toBe('missing value for NOPE');
    expect(await fail({ name: 'ghost', mountPath: '/x' })).toBe('cannot find volume "ghost" to mount into container "app"');
    await import('node:fs/promises').then((fs) => fs.symlink('/etc', join(vdir('scratch'), 'escape')));
    expect(await fail({ name: 'scratch', mountPath: '/x', subPath: 'escape' })).toBe(`subpath "/etc" not within volume path "${vdir('scratch')}"`);
  });

  it('a missing ConfigMap for env is a ContainerConfigError', async () => {
    await expect(config({ name: 'app', envFrom: [{ configMapRef: { name: 'nope' } }] }, [])).rejects.toThrow(new ContainerConfigError('configmap "nope" not found'));
  });
});
