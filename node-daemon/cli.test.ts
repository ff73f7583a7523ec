/**
 * `kactus node` as a process: the command module (src/cli/commands/node.ts) run under tsx joins
 * a test master, prints the join line tests wait for, and stops cleanly on SIGTERM.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestMaster, waitFor } from './test-master.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const PROGRAM = `
const { nodeCommand } = await import('./src/cli/commands/node.ts');
await nodeCommand().parseAsync(process.argv.slice(1), { from: 'user' });
`;

let master: TestMaster;
let dir: string;

beforeAll(async () => {
  master = await TestMaster.start();
  dir = await mkdtemp(join(tmpdir(), 'kactus-node-cli-'));
});

afterAll(async () => {
  await master.stop();
  await rm(dir, { recursive: true, force: true });
});

it('joins, prints "kactus: node NAME joined; peer PEERID" and stops on SIGTERM', async () => {
  const child = spawn(
    TSX,
    ['--input-type=module', '--eval', PROGRAM, '--', '--data-dir', dir, '--join', master.addr, '--token', master.token, '--runtime', 'hollow', '--name', 'cli-node'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => void (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => void (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor('the join line', () => /kactus: node cli-node joined; peer 12D3\w+/.test(out), 20_000);
    await waitFor('a heartbeat', () => master.heartbeats.some((h) => h.nodeName === 'cli-node'), 10_000);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('kactus: stopped');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 40_000);
