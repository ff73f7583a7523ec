/**
 * Every machine of the real catalogue, laid out by the real elkjs (the same engine the browser's
 * worker runs): each state gets a box inside its parent's, each transition with a target is drawn
 * by exactly one edge with its label, each compound state's initial state is marked.
 */
import { createRequire } from 'node:module';
import type { ElkNode } from 'elkjs/lib/elk-api.js';
import { describe, expect, it } from 'vitest';
import { machineCatalogue } from '../../src/actors/catalogue.ts';
import type { MachineDescription, StateDescription } from '../../web/src/api/types.ts';
import { chartGeometry, machineGraph, transitionLabelLines, type ChartGeometry } from '../../web/src/machine/graph.ts';
import { edgeId } from '../../web/src/machine/state-path.ts';

/** elkjs is CommonJS (`module.exports = ELK`), which its typings do not say: required, typed here. */
const ELK = createRequire(import.meta.url)('elkjs/lib/elk.bundled.js') as new () => { layout(graph: ElkNode): Promise<ElkNode> };

const measure = (text: string, size: number): number => text.length * size * 0.6;
const catalogue = machineCatalogue() as unknown as MachineDescription[];

function walk(s: StateDescription, visit: (s: StateDescription, parent?: StateDescription) => void, parent?: StateDescription): void {
  visit(s, parent);
  for (const c of s.states) walk(c, visit, s);
}

describe('statechart layout of every machine in the catalogue', () => {
  const elk = new ELK();

  it.each(catalogue.map((m) => [m.kind, m] as const))('%s', async (_kind, machine) => {
    const geometry: ChartGeometry = chartGeometry(machine, await elk.layout(machineGraph(machine, measure)));
    const boxes = new Map(geometry.states.map((b) => [b.id, b]));
    const drawn = new Map(geometry.edges.flatMap((e) => e.transitions.map((id) => [id, e] as const)));
    let transitions = 0;
    walk(machine.root, (s, parent) => {
      const box = boxes.get(s.id);
      expect(box, s.id).toBeDefined();
      if (parent) {
        const p = boxes.get(parent.id)!;
        expect(box!.x, `${s.id} inside ${parent.id}`).toBeGreaterThanOrEqual(p.x);
        expect(box!.y).toBeGreaterThanOrEqual(p.y);
        expect(box!.x + box!.width).toBeLessThanOrEqual(p.x + p.width + 0.5);
        expect(box!.y + box!.height).toBeLessThanOrEqual(p.y + p.height + 0.5);
      }
      s.transitions.forEach((t, index) => {
        for (const target of t.targets) {
          transitions++;
          const edge = drawn.get(edgeId({ source: s.id, index }, target));
          expect(edge, `${s.id} --${t.event}--> ${target}`).toBeDefined();
          expect(edge!.source).toBe(s.id);
          expect(edge!.target).toBe(target);
          expect(edge!.points.length).toBeGreaterThanOrEqual(2);
          for (const line of transitionLabelLines(t)) expect(edge!.label?.lines).toContain(line);
        }
      });
      if (s.initial && s.type !== 'parallel') {
        expect(geometry.dots.some((d) => d.id === `${s.id}#initial`), `initial dot of ${s.id}`).toBe(true);
        expect(geometry.edges.some((e) => e.initial && e.target === s.initial)).toBe(true);
      }
    });
    expect(drawn.size).toBe(transitions);
    expect(transitions, 'a machine with no transition drawn').toBeGreaterThan(0);
    expect(geometry.width).toBeGreaterThan(0);
  });

  it('labels a transition as event [guard] / actions, delays readable', () => {
    expect(transitionLabelLines({ event: 'container.exited', targets: ['x'], guard: 'restartPolicyAlways', actions: ['recordExit', 'scheduleRestart'] })).toEqual([
      'container.exited [restartPolicyAlways]',
      '/ recordExit, scheduleRestart',
    ]);
    expect(transitionLabelLines({ event: 'after', targets: ['x'], actions: [], delay: 10_000 })).toEqual(['after 10s']);
    expect(transitionLabelLines({ event: 'after', targets: ['x'], actions: [], delay: 'backOffDelay' })).toEqual(['after backOffDelay']);
  });
});
