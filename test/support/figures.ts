/**
 * The figures `npm run test:security` and `npm run test:fault` print (their issues' "Done when"):
 * a test records each figure it measured, scripts/test-with-figures.sh prints them after vitest.
 * Appended as JSON lines to `KACTUS_FIGURES` when set (the script sets it); otherwise a figure is
 * only logged, so the same test run alone or in the default suite still shows it.
 */
import { appendFileSync } from 'node:fs';

export function recordFigure(label: string, value: string | number): void {
  const file = process.env.KACTUS_FIGURES;
  const line = JSON.stringify({ label, value: String(value) });
  if (file) appendFileSync(file, line + '\n');
  else console.log(`figure: ${label}: ${value}`);
}
