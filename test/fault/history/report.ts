/**
 * A check's result as text for a test's output: one line per verdict, and for each key that is
 * not linearizable the end of the longest linearizable prefix, the state it leaves, and the
 * operations that could have come next with why each was refused.
 */
import { formatOp } from './history.ts';
import type { CheckResult, KeyResult } from './linearizability.ts';

/** How many operations of the prefix to show before the point the search could not pass. */
const PREFIX_TAIL = 8;

export function formatKeyResult(k: KeyResult): string {
  const head = `${k.key} (${k.model}, ${k.ops} ops, ${k.steps} steps): ${k.verdict}${k.exhausted ? ` (${k.exhausted} budget spent)` : ''}`;
  const e = k.explanation;
  if (!e) return head;
  const lines = [head, `  longest linearizable prefix: ${e.prefix.length} ops${e.prefix.length > PREFIX_TAIL ? `, the last ${PREFIX_TAIL}:` : ':'}`];
  for (const op of e.prefix.slice(-PREFIX_TAIL)) lines.push(`    ${formatOp(op)}`);
  lines.push(`  state after it: ${e.stateText}`);
  lines.push(`  no operation can come next; ${formatOp(e.blocking)} returned first and must be linearized before it returned:`);
  for (const c of e.candidates) lines.push(`    ${formatOp(c.op)}\n      refused: ${c.why}`);
  return lines.join('\n');
}

/** The whole result: a summary line, then every key that is not 'ok'. */
export function formatCheckResult(r: CheckResult): string {
  const count = (v: string) => r.keys.filter((k) => k.verdict === v).length;
  const ops = r.keys.reduce((n, k) => n + k.ops, 0);
  const lines = [`linearizability: ${r.verdict} — ${r.keys.length} keys, ${ops} ops; ${count('ok')} ok, ${count('illegal')} illegal, ${count('unknown')} unknown`];
  for (const k of r.keys) if (k.verdict !== 'ok') lines.push(formatKeyResult(k));
  return lines.join('\n');
}
