import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from './event.ts';
import { AuditLogWriter } from './log-writer.ts';

const event = (i: number, pad = 0): AuditEvent => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: `id-${i}`,
  stage: 'ResponseComplete',
  requestURI: `/api/v1/namespaces/default/configmaps/${'x'.repeat(pad)}`,
  verb: 'get',
  user: { username: 'admin', groups: ['system:masters'] },
  sourceIPs: ['127.0.0.1'],
  responseStatus: { metadata: {}, code: 200 },
  requestReceivedTimestamp: '2026-01-01T00:00:00.000000Z',
  stageTimestamp: '2026-01-01T00:00:00.001000Z',
});

const lines = async (path: string): Promise<AuditEvent[]> =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent);

describe('AuditLogWriter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-audit-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends one JSON line per event, in order, to a 0600 file, after what it held', async () => {
    const path = join(dir, 'audit.log');
    await writeFile(path, JSON.stringify(event(0)) + '\n', { mode: 0o600 });
    const log = await AuditLogWriter.open({ path });
    for (let i = 1; i <= 100; i++) log.write(event(i));
    await log.close();
    expect((await lines(path)).map((e) => e.auditID)).toEqual(Array.from({ length: 101 }, (_, i) => `id-${i}`));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(log.written).toBe(100);
    expect(log.dropped).toBe(0);
  });

  it('never waits: past the buffer bound events are dropped and counted', async () => {
    const path = join(dir, 'audit.log');
    const drops: number[] = [];
    const log = await AuditLogWriter.open({ path, maxBufferedEvents: 50, onDropped: (n) => drops.push(n) });
    // All in one turn of the event loop: the first event is being written, 50 wait, the rest cannot.
    for (let i = 0; i < 61; i++) log.write(event(i));
    expect(log.dropped).toBe(10);
    expect(drops).toEqual(Array(10).fill(1));
    await log.flushed();
    expect((await lines(path)).map((e) => e.auditID)).toEqual(Array.from({ length: 51 }, (_, i) => `id-${i}`));
    // Room again once written.
    log.write(event(99));
    await log.close();
    expect((await lines(path)).at(-1)?.auditID).toBe('id-99');
  });

  it('rotates by size into lumberjack-named backups and keeps only the newest maxBackups', async () => {
    const path = join(dir, 'audit.log');
    let t = Date.parse('2026-03-04T05:06:07.000Z');
    // ~1 KB per event, 1 MB per file: about 1,000 events per file.
    const log = await AuditLogWriter.open({ path, maxSizeMB: 1, maxBackups: 2, now: () => new Date((t += 1000)) });
    for (let i = 0; i < 4500; i++) {
      log.write(event(i, 900));
      if (i % 100 === 99) await log.flushed();
    }
    await log.close();
    const names = (await readdir(dir)).sort();
    const backups = names.filter((n) => n !== 'audit.log');
    expect(backups).toHaveLength(2);
    for (const b of backups) expect(b).toMatch(/^audit-2026-03-04T05-\d{2}-\d{2}\.\d{3}\.log$/);
    for (const n of names) expect((await stat(join(dir, n))).size).toBeLessThanOrEqual(1024 * 1024);
    // Nothing lost across the files kept: the newest events, in order, end to end.
    const kept = [...(await lines(join(dir, backups[0]!))), ...(await lines(join(dir, backups[1]!))), ...(await lines(path))].map((e) => Number(e.auditID.slice(3)));
    expect(kept.at(-1)).toBe(4499);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 4500 - kept.length + i));
    expect(log.dropped).toBe(0);
  });

  it('fails at open on a path it cannot write', async () => {
    await expect(AuditLogWriter.open({ path: join(dir, 'missing', 'audit.log') })).rejects.toThrow(/ENOENT/);
  });
});
