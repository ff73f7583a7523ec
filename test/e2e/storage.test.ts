/**
 * Persistent storage from a user's seat: `kactus up` (process runtime, so no Docker is needed:
 * this is about the claims, volumes and directories, not the mount, which is the pod volume
 * code's) and the real kubectl. The default StorageClass `local-path (default)`; a claim waiting
 * for its first consumer; its pod scheduled, the volume provisioned on the pod's node under
 * `<node data dir>/volumes/pvc-<uid>` and the claim bound; `kubectl get pv,pvc` and `describe`
 * as Kubernetes prints them; deleting the pod and the claim removes the directory and the volume
 * (reclaim Delete), and keeps both with a Retain class.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kactusBin, kubectlFor, ok, run, startKactusUp, uniqueName, type KactusServer, type Kubectl } from './harness.ts';

const nodeName = uniqueName('e2e-pv-');
let dir: string;
let up: KactusServer | undefined;
let kubectl: Kubectl;

const claim = (name: string, className?: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${name}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 64Mi
${className ? `  storageClassName: ${className}\n` : ''}`;

const pod = (name: string, claimName: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "sleep 3600"]
    volumeMounts:
    - name: data
      mountPath: /data
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: ${claimName}
`;

const RETAIN_CLASS = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: keep
provisioner: kactus.io/local-path
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
`;

const volumesDir = () => join(dir, 'node', 'volumes');
const isDir = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);
const jsonpath = async (args: string[]) => (await kubectl([...args, '-o', 'jsonpath={.status.phase} {.spec.volumeName}'])).stdout.trim();
const lines = (out: string) => out.trim().split('\n');
const kactus = (args: string[]) => run(process.execPath, [kactusBin, '--kubeconfig', up!.kubeconfig, ...args]);
/** A description without trailing blanks (kubectl's tabwriter pads empty values) and, with `ages`, without its Events' ages (the two commands run a moment apart). */
const normalized = (text: string, ages = false) => {
  const trimmed = text.replace(/[ \t]+$/gm, '');
  return ages ? trimmed.replace(/(Normal|Warning)(\s+\S+\s+)\S+( \(x\d+ over \S+\))?\s+/g, '$1$2AGE ') : trimmed;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-e2e-storage-'));
  up = await startKactusUp(dir, { args: ['--runtime', 'process', '--node-name', nodeName] });
  kubectl = kubectlFor(up.kubeconfig, dir);
  await eventually('node Ready', () => kubectl(['get', 'node', nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']), (r) => r.stdout === 'True', 30_000);
}, 60_000);

afterAll(async () => {
  await up?.proc.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

describe('storage (kactus up, process runtime, real kubectl)', () => {
  it('has the local-path StorageClass as the default', async () => {
    await eventually('the default class', () => kubectl(['get', 'sc']), (r) => r.code === 0 && r.stdout.includes('local-path'));
    const [header, row] = lines(ok(await kubectl(['get', 'storageclass'])));
    expect(header).toMatch(/^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE$/);
    expect(row).toMatch(/^local-path \(default\)\s+kactus\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+\d+[sm]$/);
  });

  let pvName = '';

  it('provisions a volume on the pod\'s node once the pod is scheduled, and binds the claim', async () => {
    ok(await kubectl(['apply', '-f', '-'], claim('data')));
    await eventually('WaitForFirstConsumer', () => kubectl(['get', 'events', '--field-selector', 'involvedObject.name=data', '-o', 'jsonpath={.items[*].reason}']), (r) => r.stdout.includes('WaitForFirstConsumer'));
    const [pendingHeader, pending] = lines(ok(await kubectl(['get', 'pvc', 'data'])));
    expect(pendingHeader).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE$/);
    expect(pending).toMatch(/^data\s+Pending\s+local-path\s+<unset>\s+\d+s$/);

    ok(await kubectl(['apply', '-f', '-'], pod('writer', 'data')));
    const bound = await eventually('claim Bound', () => jsonpath(['get', 'pvc', 'data']), (s) => s.startsWith('Bound pvc-'), 30_000);
    pvName = bound.split(' ')[1]!;
    const uid = ok(await kubectl(['get', 'pvc', 'data', '-o', 'jsonpath={.metadata.uid}'])).trim();
    expect(pvName).toBe(`pvc-${uid}`);
    expect(await isDir(join(volumesDir(), pvName))).toBe(true);
    await eventually('pod scheduled', () => kubectl(['get', 'pod', 'writer', '-o', 'jsonpath={.spec.nodeName}']), (r) => r.stdout === nodeName);

    const [, pvcRow] = lines(ok(await kubectl(['get', 'pvc', 'data'])));
    expect(pvcRow).toMatch(new RegExp(`^data\\s+Bound\\s+${pvName}\\s+64Mi\\s+RWO\\s+local-path\\s+<unset>\\s+\\d+s$`));
    const [pvHeader, pvRow] = lines(ok(await kubectl(['get', 'pv', pvName])));
    expect(pvHeader).toMatch(/^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE$/);
    expect(pvRow).toMatch(new RegExp(`^${pvName}\\s+64Mi\\s+RWO\\s+Delete\\s+Bound\\s+default/data\\s+local-path\\s+<unset>\\s+\\d+s$`));
  });

  it('describes the claim and the volume as kubectl prints them', async () => {
    const pvc = ok(await kubectl(['describe', 'pvc', 'data']));
    expect(pvc).toMatch(/^StorageClass:\s+local-path$/m);
    expect(pvc).toMatch(/^Status:\s+Bound$/m);
    expect(pvc).toMatch(new RegExp(`^Volume:\\s+${pvName}$`, 'm'));
    expect(pvc).toMatch(/pv\.kubernetes\.io\/bind-completed: yes/);
    expect(pvc).toMatch(new RegExp(`volume\\.kubernetes\\.io/selected-node: ${nodeName}`));
    expect(pvc).toMatch(/^Finalizers:\s+\[kubernetes\.io\/pvc-protection\]$/m);
    expect(pvc).toMatch(/^Used By:\s+writer$/m);
    for (const reason of ['WaitForFirstConsumer', 'ExternalProvisioning', 'Provisioning', 'ProvisioningSucceeded']) expect(pvc).toContain(reason);
    expect(pvc).toMatch(/Normal\s+WaitForFirstConsumer\s+.*persistentvolume-controller\s+waiting for first consumer to be created before binding/);
    expect(pvc).toMatch(new RegExp(`Normal\\s+ProvisioningSucceeded\\s+.*kactus\\.io/local-path\\s+Successfully provisioned volume ${pvName}`));

    const pv = ok(await kubectl(['describe', 'pv', pvName]));
    expect(pv).toMatch(/^StorageClass:\s+local-path$/m);
    expect(pv).toMatch(/^Status:\s+Bound$/m);
    expect(pv).toMatch(/^Claim:\s+default\/data$/m);
    expect(pv).toMatch(/^Reclaim Policy:\s+Delete$/m);
    expect(pv).toMatch(/pv\.kubernetes\.io\/provisioned-by: kactus\.io\/local-path/);
    expect(pv).toMatch(new RegExp(`Term 0:\\s+kubernetes\\.io/hostname in \\[${nodeName}\\]`));
    expect(pv).toMatch(/Type:\s+LocalVolume/);
    expect(pv).toMatch(new RegExp(`Path:\\s+${join(volumesDir(), pvName).replace(/[.]/g, '\\.')}`));

    // The kactus CLI describes them as kubectl does.
    expect(normalized(ok(await kactus(['describe', 'pvc', 'data'])), true)).toBe(normalized(ok(await kubectl(['describe', 'pvc', 'data'])), true));
    expect(normalized(ok(await kactus(['describe', 'pv', pvName])))).toBe(normalized(ok(await kubectl(['describe', 'pv', pvName]))));
    expect(normalized(ok(await kactus(['describe', 'sc', 'local-path'])))).toBe(normalized(ok(await kubectl(['describe', 'sc', 'local-path']))));
  });

  it('removes the directory and the volume when the claim is deleted (reclaim Delete)', async () => {
    await writeFile(join(volumesDir(), pvName, 'file'), 'data\n');
    ok(await kubectl(['delete', 'pod', 'writer', '--wait=true', '--timeout=60s']));
    ok(await kubectl(['delete', 'pvc', 'data', '--wait=true', '--timeout=60s']));
    await eventually('the volume gone', () => kubectl(['get', 'pv', pvName]), (r) => r.code !== 0 && r.stderr.includes('NotFound'), 30_000);
    expect(await isDir(join(volumesDir(), pvName))).toBe(false);
  });

  it('keeps the directory and a Released volume with a Retain class', async () => {
    ok(await kubectl(['apply', '-f', '-'], RETAIN_CLASS));
    ok(await kubectl(['apply', '-f', '-'], claim('kept', 'keep')));
    ok(await kubectl(['apply', '-f', '-'], pod('keeper', 'kept')));
    const bound = await eventually('claim Bound', () => jsonpath(['get', 'pvc', 'kept']), (s) => s.startsWith('Bound pvc-'), 30_000);
    const name = bound.split(' ')[1]!;
    await writeFile(join(volumesDir(), name, 'file'), 'keep me\n');
    ok(await kubectl(['delete', 'pod', 'keeper', '--wait=true', '--timeout=60s']));
    ok(await kubectl(['delete', 'pvc', 'kept', '--wait=true', '--timeout=60s']));
    await eventually('Released', () => kubectl(['get', 'pv', name, '-o', 'jsonpath={.status.phase}']), (r) => r.stdout === 'Released', 30_000);
    const [, row] = lines(ok(await kubectl(['get', 'pv', name])));
    expect(row).toMatch(new RegExp(`^${name}\\s+64Mi\\s+RWO\\s+Retain\\s+Released\\s+default/kept\\s+keep\\s+<unset>\\s+\\d+s$`));
    expect(await isDir(join(volumesDir(), name))).toBe(true);
  });
});
