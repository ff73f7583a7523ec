// A stream worker's entry (stream-worker.ts): kactus runs its TypeScript through tsx's loader
// (bin/kactus.js), and a worker thread starts without the main thread's loader hooks.
const { register } = await import('tsx/esm/api');

register();
await import('./stream-worker.ts');
