/**
 * `npm run bench`: every benchmark in turn, each printing its figures beside its anchor.
 * Each runs as its own process so one's leftovers (sockets, timers, GC pressure) do not skew the next.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES = ['store.ts', 'api-create.ts', 'pod-startup.ts', 'services.ts', 'dns.ts', 'events.ts', 'scheduler.ts', 'replicas.ts'];
let failed = 0;
for (const file of BENCHES) {
  process.stdout.write(`\n## ${file}\n\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    stdio: 'inherit',
    env: { ...process.env, KACTUS_LOG_LEVEL: 'warn' },
  });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`${file} failed (exit ${r.status ?? r.signal})\n`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
