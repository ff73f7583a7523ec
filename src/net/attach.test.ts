import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createMeshHost, type MeshHost } from './host.ts';
import { openAttach, serveAttach } from './attach.ts';
import { ExecError } from './exec.ts';
import type { AttachRequest } from './messages.ts';
import type { AttachedProcess } from '../runtime/types.ts';
import { waitFor } from '../../test/support/wait.ts';

describe('attach over libp2p', () => {
  let dir: string;
  let master: MeshHost;
  let node: MeshHost;
  const asked: AttachRequest[] = [];
  const attached: { stdin: PassThrough; stdout: PassThrough; input: string; closed: boolean }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-attach-'));
    master = await createMeshHost({ dataDir: join(dir, 'm') });
    node = await createMeshHost({ dataDir: join(dir, 'n') });
    await serveAttach(node, {
      isAdmitted: (peer) => peer.equals(master.peerId),
      async open(req): Promise<AttachedProcess> {
        asked.push(req);
        if (req.container === 'stopped') throw new ExecError(400, 'container "stopped" in pod "p" is not running');
        const a = { stdin: new PassThrough(), stdout: new PassThrough(), input: '', closed: false };
        a.stdin.on('data', (d: Buffer) => (a.input += d.toString()));
        attached.push(a);
        return { stdin: a.stdin, stdout: a.stdout, resize: async () => {}, close: () => void (a.closed = true) };
      },
    });
  });

  afterAll(async () => {
    await Promise.all([master?.stop(), node?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const request = (container: string): AttachRequest => ({ namespace: 'default', name: 'p', uid: 'u1', container, stdin: true, tty: true });

  it('carries input and output; the end of output ends the session with code 0 (attach has none of its own)', async () => {
    const session = await openAttach(master, node.getMultiaddrs().map(String), request('main'));
    expect(asked.at(-1)).toEqual(request('main'));
    const a = attached.at(-1)!;
    await session.writeStdin(new TextEncoder().encode('ls\n'));
    let out = '';
    const done = (async () => {
      for await (const piece of session.output) out += Buffer.from(piece.data).toString();
    })();
    await waitFor('the input delivered', () => a.input === 'ls\n');
    a.stdout.write('bin etc\n');
    a.stdout.end();
    await done;
    expect(out).toBe('bin etc\n');
    expect(session.exitCode).toBe(0);
  });

  it("passes the node's refusal on with its code", async () => {
    await expect(openAttach(master, node.getMultiaddrs().map(String), request('stopped'))).rejects.toMatchObject({ code: 400, message: expect.stringContaining('is not running') });
  });
});
