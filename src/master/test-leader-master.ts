/**
 * Child process for the leader failover tests (leader-election.failover.test.ts): a real master
 * (`startMaster`, every controller) over a shared store, plus one probe controller that, while
 * this master leads, creates a ConfigMap `probe-<name>-<seq>` in namespace `kactus-probe` every
 * `probe-ms` through the leader's own (fenced) registry — the leader "acting", observable and
 * attributable. Lines on stdout, each written synchronously (a line printed survives kill -9),
 * each starting with this process's wall clock in ms:
 *   <t> READY <api url> <mesh addrs, comma-separated>
 *   <t> LEADING true|false
 *   <t> W <seq>                     probe write sent
 *   <t> A <seq> <resourceVersion>   probe write committed
 *   <t> F <seq>                     probe write fenced off (this master no longer holds the Lease)
 *   <t> E <seq> <message>           probe write failed otherwise
 *   <t> STATS <json>                the fenced store's counters, on SIGUSR2 and on SIGTERM
 *
 * SIGTERM closes the master politely (releasing the Lease) and exits 0.
 *
 * Usage: node --import tsx src/master/test-leader-master.ts STORE_URI NAME DATA_DIR [probe-ms=25]
 */
import { writeSync } from 'node:fs';
import pino from 'pino';
import { findResource } from '../api/kinds.ts';
import { ApiError } from '../api/status.ts';
import type { Controller, ControllerDeps } from '../actors/controller-kit/controller.ts';
import { openStore } from '../store/open.ts';
import { CONTROLLERS } from './controllers.ts';
import { startMaster, type Master } from './master.ts';

const CONFIGMAPS = findResource('', 'v1', 'configmaps')!;
export const PROBE_NAMESPACE = 'kactus-probe';

function report(line: string): void {
  const bytes = Buffer.from(`${Date.now()} ${line}\n`);
  for (let off = 0; off < bytes.length; ) {
    try {
      off += writeSync(1, bytes, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}

const [storeUri, name, dataDir, probeMsArg = '25'] = process.argv.slice(2);
if (!storeUri || !name || !dataDir) {
  process.stderr.write('usage: test-leader-master.ts STORE_URI NAME DATA_DIR [probe-ms]\n');
  process.exit(2);
}
const probeMs = Number(probeMsArg);
let seq = 0;

/** The probe: independent writes on a timer, so a paused leader resumes with some in flight and more due. */
function probe(deps: ControllerDeps): Controller {
  let timer: NodeJS.Timeout | undefined;
  const write = (): void => {
    const n = ++seq;
    report(`W ${n}`);
    deps.registry.create(CONFIGMAPS, PROBE_NAMESPACE, { metadata: { name: `probe-${name}-${n}` }, data: { writer: name!, seq: String(n) } }).then(
      (cm) => report(`A ${n} ${cm.metadata?.resourceVersion}`),
      (err: unknown) => report(err instanceof ApiError && err.code === 503 && /fenced off|does not hold/.test(err.message) ? `F ${n}` : `E ${n} ${String(err).replace(/\s+/g, ' ')}`),
    );
  };
  return {
    start: async () => {
      write();
      timer = setInterval(write, probeMs);
    },
    stop: () => clearInterval(timer),
  };
}

const store = await openStore(storeUri);
const master: Master = await startMaster({
  store,
  dataDir,
  port: 0,
  name,
  controllers: [...CONTROLLERS, ['fence-probe', probe]],
  logger: pino({ level: process.env.KACTUS_LOG_LEVEL ?? 'silent' }, pino.destination(2)),
});
report(`READY ${master.api.url} ${master.meshAddrs.join(',')}`);

let leading = false;
setInterval(() => {
  if (master.isLeader() === leading) return;
  leading = master.isLeader();
  report(`LEADING ${leading}`);
}, 2);

process.on('SIGUSR2', () => report(`STATS ${JSON.stringify(master.leaderWrites)}`));
process.once('SIGTERM', () => {
  void master.close().then(async () => {
    report(`LEADING false`);
    report(`STATS ${JSON.stringify(master.leaderWrites)}`);
    await store.close();
    process.exit(0);
  });
});
