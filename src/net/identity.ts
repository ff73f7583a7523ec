/**
 * The node's libp2p identity: an Ed25519 key kept in its data dir (mode 0600), so the peer id
 * survives restarts and admitted peers stay admitted.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../os/files.ts';
import { dirname, join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';

export const IDENTITY_FILE = 'peer-key';

export async function loadOrCreateIdentity(dataDir: string): Promise<PrivateKey> {
  const file = join(dataDir, IDENTITY_FILE);
  try {
    return privateKeyFromProtobuf(await readFile(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = await generateKeyPair('Ed25519');
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, privateKeyToProtobuf(key));
  return key;
}
