#!/usr/bin/env node
// The `kactus` command: runs the TypeScript sources through tsx's loader (no build step).
// kactus needs the LTS (Node 24: Promise.withResolvers for libp2p and the rest); say so instead of
// failing later in a dial. scripts/with-node.sh fetches it when the machine has an older Node.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(`kactus needs Node.js >= 24 (this is ${process.version}); run it as scripts/with-node.sh node bin/kactus.js …\n`);
  process.exit(1);
}
const { register } = await import('tsx/esm/api');

register();
await import('../src/cli/main.ts');
