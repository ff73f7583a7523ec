/**
 * `kubectl create <kind> ...` sends built-in kinds as protobuf. For each generator kubectl 1.32
 * has for a kind we serve: the object kubectl builds locally (`--dry-run=client -o json`) must be
 * what the server stored from the protobuf body (after the server's defaults), which checks every
 * field number kubectl uses in src/apiserver/http/protobuf-schema.ts.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './harness.ts';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
  // --from-file with bytes that are not UTF-8 makes binaryData.
  await writeFile(join(c.dir, 'blob.bin'), Buffer.from([0, 1, 2, 0xfe, 0xff]));
});
afterAll(async () => {
  await c?.close();
});

/** Drops what Go's JSON writes for unset values (null, {}) and the status, which the server sets. */
function setFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(setFields);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'status') continue;
    const kept = setFields(v);
    if (kept === null || (typeof kept === 'object' && !Array.isArray(kept) && Object.keys(kept).length === 0)) continue;
    out[k] = kept;
  }
  return out;
}

async function json(args: string[]): Promise<Record<string, unknown>> {
  const r = await c.kubectl(args);
  expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** A CronJob whose job template sets every field of the protobuf tables below the Job (neighbours differ or are unset, so a swapped number shows). */
const RICH_CRONJOB = `apiVersion: batch/v1
kind: CronJob
metadata: {name: pb-rich}
spec:
  schedule: "0 0 1 1 *"
  jobTemplate:
    metadata:
      labels: {team: a}
      annotations: {note: x}
    spec:
      parallelism: 2
      completions: 4
      activeDeadlineSeconds: 600
      backoffLimit: 3
      ttlSecondsAfterFinished: 100
      completionMode: NonIndexed
      suspend: true
      manualSelector: true
      selector:
        matchLabels: {app: rich}
        matchExpressions: [{key: tier, operator: In, values: [x, z]}]
      template:
        metadata:
          labels: {app: rich, tier: x}
          annotations: {a: b}
          finalizers: [kactus.io/test]
        spec:
          restartPolicy: Never
          activeDeadlineSeconds: 300
          terminationGracePeriodSeconds: 5
          dnsPolicy: Default
          nodeSelector: {disk: ssd}
          serviceAccountName: sa
          nodeName: n1
          hostPID: true
          imagePullSecrets: [{name: reg}]
          hostname: h
          subdomain: s
          schedulerName: other
          priorityClassName: high
          automountServiceAccountToken: false
          enableServiceLinks: false
          initContainers: [{name: init, image: busybox, command: ["true"]}]
          containers:
          - name: c
            image: busybox
            command: [sh]
            args: [-c, "echo hi"]
            workingDir: /tmp
            ports: [{name: http, hostPort: 8081, containerPort: 8080, protocol: UDP, hostIP: 127.0.0.1}]
            env: [{name: K, value: V}]
            resources:
              limits: {cpu: 500m, memory: 64Mi}
              requests: {cpu: 100m}
            terminationMessagePath: /tmp/end
            terminationMessagePolicy: FallbackToLogsOnError
            imagePullPolicy: IfNotPresent
            stdin: true
            tty: true
`;

const CASES: [string, string[], string][] = [
  ['namespace', ['namespace', 'pb-ns'], 'namespace/pb-ns'],
  ['configmap from literals and a binary file', ['configmap', 'pb-cm', '--from-literal=a=b', '--from-literal=empty=', `--from-file=blob=BLOB`], 'configmap/pb-cm'],
  ['secret generic with a type', ['secret', 'generic', 'pb-s', '--from-literal=k=v', '--type=kactus.io/test'], 'secret/pb-s'],
  ['secret docker-registry', ['secret', 'docker-registry', 'pb-dr', '--docker-server=r.local', '--docker-username=u', '--docker-password=p'], 'secret/pb-dr'],
  ['serviceaccount', ['serviceaccount', 'pb-sa'], 'serviceaccount/pb-sa'],
  ['service clusterip', ['service', 'clusterip', 'pb-svc1', '--tcp=80:8080', '--tcp=443:https'], 'service/pb-svc1'],
  ['service clusterip, headless', ['service', 'clusterip', 'pb-headless', '--clusterip=None'], 'service/pb-headless'],
  ['service nodeport', ['service', 'nodeport', 'pb-svc2', '--tcp=80:8080', '--node-port=30080'], 'service/pb-svc2'],
  ['service externalname', ['service', 'externalname', 'pb-svc3', '--external-name=example.local'], 'service/pb-svc3'],
  ['deployment with 0 replicas, a port and a command', ['deployment', 'pb-d1', '--image=busybox', '--replicas=0', '--port=80', '--', 'sleep', '3600'], 'deployment/pb-d1'],
  ['deployment with two images', ['deployment', 'pb-d2', '--image=busybox', '--image=nginx'], 'deployment/pb-d2'],
  ['job', ['job', 'pb-j1', '--image=busybox', '--', 'echo', 'hi'], 'job/pb-j1'],
  ['cronjob', ['cronjob', 'pb-cj', '--image=busybox', '--schedule=*/5 * * * *', '--restart=OnFailure', '--', 'echo', 'hi'], 'cronjob/pb-cj'],
  // The Job is the stored CronJob's template with every default the server filled in, and an ownerReference.
  ['job from a cronjob', ['job', 'pb-j2', '--from=cronjob/pb-cj'], 'job/pb-j2'],
];

describe('kubectl create (protobuf bodies)', () => {
  for (const [what, args, ref] of CASES) {
    it(what, async () => {
      const full = args.map((a) => a.replace('BLOB', join(c.dir, 'blob.bin')));
      // Flags go before a `--` that starts the container's command.
      const end = full.includes('--') ? full.indexOf('--') : full.length;
      const local = await json(['create', ...full.slice(0, end), '--dry-run=client', '-o', 'json', ...full.slice(end)]);
      const r = await c.kubectl(['create', ...full]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${ref.replace('/', '(\\.\\w+)?/')} created\\n$`));
      const stored = await json(['get', ref, '-o', 'json']);
      expect(stored).toMatchObject(setFields(local) as Record<string, unknown>);
    });
  }

  it('job from a cronjob with every pod template field the tables know', async () => {
    const applied = await c.kubectl(['apply', '-f', '-'], RICH_CRONJOB);
    expect(applied.code, applied.stderr).toBe(0);
    const r = await c.kubectl(['create', 'job', 'pb-rich', '--from=cronjob/pb-rich']);
    expect(r.code, r.stderr).toBe(0);
    const cronJob = await json(['get', 'cronjob', 'pb-rich', '-o', 'json']);
    const job = await json(['get', 'job', 'pb-rich', '-o', 'json']);
    const template = (cronJob.spec as { jobTemplate: { metadata: object; spec: object } }).jobTemplate;
    expect(job).toMatchObject({ metadata: template.metadata, spec: setFields(template.spec) as object });
  });

  it('answers a protobuf body it cannot read with 415 and a way out, and stores nothing', async () => {
    // A Pod is not among the kinds read from protobuf; kubectl run sends JSON, so build the body by hand.
    const envelope = Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, 0x07, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x01, 0x50])]);
    const res = await c.client.post('/api/v1/namespaces/default/pods', envelope, { contentType: 'application/vnd.kubernetes.protobuf' });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
    expect(res.text).toContain('only for v1/Namespace');
    expect(res.text).toContain('not v1/P; send this object as JSON or YAML');
  });
});
