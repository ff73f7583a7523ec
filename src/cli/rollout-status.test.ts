import { describe, expect, it } from 'vitest';
import type { KubeObject } from './output.ts';
import { progressBar, progressLine, ProgressPrinter, rolloutVerdict } from './rollout-status.ts';

const deployment = (status: Record<string, unknown>, over: { replicas?: number; generation?: number } = {}): KubeObject => ({
  metadata: { name: 'web', generation: over.generation ?? 2 },
  spec: { replicas: over.replicas ?? 3 },
  status: { observedGeneration: 2, ...status },
});

describe('rolloutVerdict (kubectl\'s status viewers)', () => {
  it('Deployment: spec not observed, updating, old pending, not available, done, deadline exceeded', () => {
    expect(rolloutVerdict('Deployment', deployment({ observedGeneration: 1 }))).toMatchObject({ done: false, message: 'Waiting for deployment spec update to be observed...' });
    expect(rolloutVerdict('Deployment', deployment({ updatedReplicas: 1, replicas: 4, readyReplicas: 3 }))).toEqual({
      done: false,
      message: 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
      progress: { desired: 3, updated: 1, ready: 3 },
    });
    expect(rolloutVerdict('Deployment', deployment({ updatedReplicas: 3, replicas: 4 })).message).toBe('Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...');
    expect(rolloutVerdict('Deployment', deployment({ updatedReplicas: 3, replicas: 3, availableReplicas: 2 })).message).toBe('Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...');
    expect(rolloutVerdict('Deployment', deployment({ updatedReplicas: 3, replicas: 3, availableReplicas: 3, readyReplicas: 3 }))).toEqual({
      done: true,
      message: 'deployment "web" successfully rolled out',
      progress: { desired: 3, updated: 3, ready: 3 },
    });
    const failed = deployment({ updatedReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] });
    expect(rolloutVerdict('Deployment', failed).error).toBe('deployment "web" exceeded its progress deadline');
    // spec.replicas absent: 1, as the server defaults it.
    expect(rolloutVerdict('Deployment', { metadata: { name: 'one' }, spec: {}, status: { updatedReplicas: 1, replicas: 1, availableReplicas: 1 } }).done).toBe(true);
  });

  it('DaemonSet: pods updated then available of those desired; OnDelete cannot be followed', () => {
    const ds = (status: Record<string, unknown>, strategy = 'RollingUpdate'): KubeObject => ({ metadata: { name: 'agent', generation: 1 }, spec: { updateStrategy: { type: strategy } }, status: { observedGeneration: 1, desiredNumberScheduled: 2, ...status } });
    expect(rolloutVerdict('DaemonSet', ds({ updatedNumberScheduled: 1 })).message).toBe('Waiting for daemon set "agent" rollout to finish: 1 out of 2 new pods have been updated...');
    expect(rolloutVerdict('DaemonSet', ds({ updatedNumberScheduled: 2, numberAvailable: 1, numberReady: 1 }))).toMatchObject({ message: 'Waiting for daemon set "agent" rollout to finish: 1 of 2 updated pods are available...', progress: { desired: 2, updated: 2, ready: 1 } });
    expect(rolloutVerdict('DaemonSet', ds({ updatedNumberScheduled: 2, numberAvailable: 2 }))).toMatchObject({ done: true, message: 'daemon set "agent" successfully rolled out' });
    expect(rolloutVerdict('DaemonSet', ds({}, 'OnDelete')).error).toBe('rollout status is only available for RollingUpdate strategy type');
  });

  it('StatefulSet: ready, then the update revision, or a partition', () => {
    const sts = (status: Record<string, unknown>, rollingUpdate?: Record<string, unknown>): KubeObject => ({
      metadata: { name: 'db', generation: 1 },
      spec: { replicas: 3, updateStrategy: { type: 'RollingUpdate', ...(rollingUpdate ? { rollingUpdate } : {}) } },
      status: { observedGeneration: 1, ...status },
    });
    expect(rolloutVerdict('StatefulSet', sts({ observedGeneration: 0 })).message).toBe('Waiting for statefulset spec update to be observed...');
    expect(rolloutVerdict('StatefulSet', sts({ readyReplicas: 1 })).message).toBe('Waiting for 2 pods to be ready...');
    expect(rolloutVerdict('StatefulSet', sts({ readyReplicas: 3, updatedReplicas: 1, updateRevision: 'db-2', currentRevision: 'db-1' })).message).toBe('waiting for statefulset rolling update to complete 1 pods at revision db-2...');
    expect(rolloutVerdict('StatefulSet', sts({ readyReplicas: 3, updatedReplicas: 3, currentReplicas: 3, updateRevision: 'db-2', currentRevision: 'db-2' }))).toMatchObject({ done: true, message: 'statefulset rolling update complete 3 pods at revision db-2...' });
    expect(rolloutVerdict('StatefulSet', sts({ readyReplicas: 3, updatedReplicas: 0 }, { partition: 2 })).message).toBe('Waiting for partitioned roll out to finish: 0 out of 1 new pods have been updated...');
    expect(rolloutVerdict('StatefulSet', sts({ readyReplicas: 3, updatedReplicas: 1 }, { partition: 2 }))).toMatchObject({ done: true, message: 'partitioned roll out complete: 1 new pods have been updated...' });
  });
});

describe('the progress bar', () => {
  it('fills ready-and-updated, then updated, then what is left, within its width', () => {
    expect(progressBar({ desired: 4, updated: 2, ready: 1 }, 8)).toBe('██▒▒░░░░');
    expect(progressBar({ desired: 4, updated: 4, ready: 4 }, 8)).toBe('████████');
    expect(progressBar({ desired: 4, updated: 0, ready: 4 }, 8)).toBe('░░░░░░░░');
    // A surge (more than desired) never overflows; nothing desired is an empty bar.
    expect(progressBar({ desired: 2, updated: 3, ready: 5 }, 8)).toBe('████████');
    expect(progressBar({ desired: 0, updated: 0, ready: 0 }, 4)).toBe('░░░░');
    const v = rolloutVerdict('Deployment', deployment({ updatedReplicas: 2, readyReplicas: 1, replicas: 3 }, { replicas: 4 }));
    expect(progressLine(v, 8)).toBe('[██▒▒░░░░] 2/4 updated, 1/4 ready  Waiting for deployment "web" rollout to finish: 2 out of 4 new replicas have been updated...');
  });

  const verdicts = [
    rolloutVerdict('Deployment', deployment({ updatedReplicas: 1, readyReplicas: 0, replicas: 1 })),
    rolloutVerdict('Deployment', deployment({ updatedReplicas: 1, readyReplicas: 0, replicas: 1 })),
    rolloutVerdict('Deployment', deployment({ updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2, replicas: 3 })),
  ];

  it('elsewhere than a terminal: a line per change, then the last word', () => {
    let out = '';
    const p = new ProgressPrinter({ isTTY: false, write: (t) => (out += t) });
    for (const v of verdicts) p.update(v);
    p.finish('deployment "web" successfully rolled out');
    expect(out.split('\n')).toEqual([progressLine(verdicts[0]!), progressLine(verdicts[2]!), 'deployment "web" successfully rolled out', '']);
  });

  it('on a terminal: one line redrawn in place, cut to the width, cleared at the end', () => {
    let out = '';
    const p = new ProgressPrinter({ isTTY: true, columns: 40, write: (t) => (out += t) });
    for (const v of verdicts) p.update(v);
    p.finish('deployment "web" successfully rolled out');
    const frames = out.split('\r\x1b[2K');
    expect(frames[0]).toBe('');
    expect(frames.slice(1, 3)).toEqual([`${progressLine(verdicts[0]!).slice(0, 38)}…`, `${progressLine(verdicts[2]!).slice(0, 38)}…`]);
    expect(frames.slice(1, 3).every((f) => f.length === 39 && !f.includes('\n'))).toBe(true);
    expect(frames[3]).toBe('deployment "web" successfully rolled out\n');
  });
});
