// A stream worker's entry (stream-worker.ts): kactus runs its TypeScript through tsx's loader
// (bin/kactus.js), and a worker thread starts without the main thread's loader hooks. The
// worker's packages are loaded first, natively (the TypeScript then finds them loaded): through
// tsx's hooks they cost more of the worker's start (median ~285 → ~200 ms for these imports here).
await Promise.all([import('ws'), import('pino'), import('msgpackr')]);
const { register } = await import('tsx/esm/api');

register();
await import('./stream-worker.ts');
