/**
 * Builds the web dashboard into web/dist/ (served by the API server at /ui/; git-ignored):
 * esbuild bundles web/src/main.ts (Lit, yaml, elkjs' small API) into one minified ES module, and
 * the static files and elkjs' layout worker are copied beside it. Prints the sizes.
 * Run by scripts/build-ui.sh (from setup: run-tests.sh, run-cluster.sh).
 */
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = fileURLToPath(new URL('../web/', import.meta.url));
const out = join(web, 'dist');
const STATIC = ['index.html', 'styles.css', 'favicon.svg'];

async function main(): Promise<void> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: [join(web, 'src/main.ts')],
    outfile: join(out, 'app.js'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    tsconfig: join(web, 'tsconfig.json'),
    logLevel: 'warning',
  });
  for (const f of STATIC) await copyFile(join(web, f), join(out, f));
  // ELK's layout engine runs in a worker of its own (machine/layout.ts): not part of the bundle.
  const require = createRequire(import.meta.url);
  await copyFile(require.resolve('elkjs/lib/elk-worker.min.js'), join(out, 'elk-worker.js'));
  for (const f of (await readdir(out)).sort()) {
    console.log(`  web/dist/${f}  ${Math.round((await stat(join(out, f))).size / 1024)} KiB`);
  }
}

await main();
