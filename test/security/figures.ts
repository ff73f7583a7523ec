/**
 * The figures `npm run test:security` prints (issue 15's "Done when"): a test records each figure
 * it measured, scripts/test-security.sh prints them after vitest. Appended as JSON lines to
 * `KACTUS_SECURITY_FIGURES` when set (the script sets it); otherwise a figure is only logged.
 */
import { appendFileSync } from 'node:fs';

export function recordFigure(label: string, value: string | number): void {
  const file = process.env.KACTUS_SECURITY_FIGURES;
  const line = JSON.stringify({ label, value: String(value) });
  if (file) appendFileSync(file, line + '\n');
  else console.log(`figure: ${label}: ${value}`);
}
