/**
 * Lays machines out with elkjs in a Web Worker (`elk-worker.js`, copied beside the bundle by
 * scripts/build-ui.ts: ELK is 1.6 MB of compiled Java, kept off the main bundle and off the main
 * thread). A machine's layout never changes at run time, so each is computed once per page and
 * shared by every actor of that kind that is drawn.
 */
import ELK from 'elkjs/lib/elk-api.js';
import type { MachineDescription } from '../api/types.ts';
import { chartGeometry, machineGraph, type ChartGeometry } from './graph.ts';
import { measureText } from './measure.ts';

let elk: InstanceType<typeof ELK> | undefined;
const layouts = new Map<string, Promise<ChartGeometry>>();

/** The statechart geometry of a machine (memoised by kind). */
export function layoutMachine(machine: MachineDescription): Promise<ChartGeometry> {
  let layout = layouts.get(machine.kind);
  if (!layout) {
    elk ??= new ELK({ workerUrl: new URL('elk-worker.js', document.baseURI).href });
    layout = elk.layout(machineGraph(machine, measureText)).then((laidOut) => chartGeometry(machine, laidOut));
    // A failed layout is not remembered: the next draw tries again.
    layout.catch(() => layouts.delete(machine.kind));
    layouts.set(machine.kind, layout);
  }
  return layout;
}
