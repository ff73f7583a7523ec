/**
 * The fence watchdog process (launcher.ts starts it, detached: a session and process group of its
 * own, so nothing that ends the daemon ends it). One per data dir: it holds `fence/LOCK` for its
 * life, then writes `fence/watchdog.json` (which tells the daemon it is up), then runs the loop
 * (watchdog.ts) until the daemon retires it, its daemon is gone with nothing left to guard, or
 * SIGTERM.
 *
 * Usage: node --import tsx node-daemon/fence/main.ts --data-dir DIR --runtime docker|process --scope S [--docker-socket P]
 */
import { parseArgs } from 'node:util';
import { DataDirLockedError, lockDataDir } from '../../src/os/dir-lock.ts';
import { FENCE_WATCHDOG_VERSION, fenceDir, isAlive, readFenceRecord, selfIdentity, writeWatchdogInfo, type WatchdogInfo } from './files.ts';
import { fenceTarget } from './targets.ts';
import { runFenceWatchdog } from './watchdog.ts';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    runtime: { type: 'string' },
    scope: { type: 'string' },
    'docker-socket': { type: 'string' },
  },
});
const dataDir = values['data-dir'];
const runtime = values.runtime;
const scope = values.scope;
if (!dataDir || !scope || (runtime !== 'docker' && runtime !== 'process')) {
  process.stderr.write('usage: main.ts --data-dir DIR --runtime docker|process --scope S [--docker-socket P]\n');
  process.exit(2);
}
const log = (line: string): void => void process.stdout.write(`${new Date().toISOString()} [watchdog ${process.pid}] ${line}\n`);

let stopping = false;
let wake: (() => void) | undefined;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    stopping = true;
    wake?.();
  });
}
// No terminal is ours (setsid), but a hangup must not end the fence either.
process.on('SIGHUP', () => {});

try {
  // A watchdog being replaced may take a moment to go: wait for it rather than fail. Held until exit.
  await lockDataDir(fenceDir(dataDir), { waitMs: 5000 });
} catch (err) {
  log(err instanceof DataDirLockedError ? `another watchdog (pid ${err.pid ?? '?'}) guards ${dataDir}: exiting` : `cannot take the lock: ${String(err)}`);
  process.exit(1);
}
const info: WatchdogInfo = { ...selfIdentity(), version: FENCE_WATCHDOG_VERSION, runtime, scope, ...(values['docker-socket'] ? { dockerSocket: values['docker-socket'] } : {}) };
writeWatchdogInfo(dataDir, info);
log(`guarding node scope ${scope} (${runtime} runtime) in ${dataDir}`);

const why = await runFenceWatchdog({
  read: () => readFenceRecord(dataDir),
  nowNs: () => process.hrtime.bigint(),
  writerAlive: (record) => isAlive(record.writer),
  stopAll: fenceTarget({ runtime, dataDir, scope, ...(values['docker-socket'] ? { dockerSocket: values['docker-socket'] } : {}) }),
  log,
  sleep: (ms) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }),
  stopped: () => stopping,
});
log(`exiting: ${why}`);
// The lock goes with the process (the kernel closes the descriptor): a daemon that sees it free never finds us still running long.
process.exit(0);
