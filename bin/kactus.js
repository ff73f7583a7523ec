#!/usr/bin/env node
// The `kactus` command: runs the TypeScript sources through tsx's loader (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/polyfills.ts');
await import('../src/cli/main.ts');
