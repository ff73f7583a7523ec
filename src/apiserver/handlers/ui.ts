/**
 * `/ui/`: the web dashboard's static files (web/README.md), read from the bundle directory that
 * scripts/build-ui.sh writes (`web/dist/`, not committed). Served without authentication — a
 * browser cannot put a bearer token on a page load, and the files hold no cluster data: the
 * dashboard asks for a token and sends it on every API call itself.
 *
 * Only plain file names in that one directory are served (no sub-paths, no dot files), so a
 * request can never reach outside it. The Content-Security-Policy keeps the page on this origin:
 * no script, style, font or connection elsewhere (the dashboard needs no external network).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../../api/status.ts';

/** Where scripts/build-ui.sh puts the bundle, relative to this file. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** `connect-src 'self'` covers wss: to this host (CSP level 3); workers are our own files. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  // Lit adopts constructed style sheets; older engines fall back to <style> elements.
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PLAIN_FILE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/**
 * Serves `GET|HEAD /ui/<file>` (`/ui/` is index.html; `/ui` redirects to `/ui/` so relative
 * URLs in the page resolve). Unknown files and a missing bundle are 404 Statuses; the latter
 * says how to build it.
 */
export async function serveUi(req: IncomingMessage, res: ServerResponse, file: string | undefined, dir: string = DEFAULT_UI_DIR): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  if (file === undefined) {
    res.writeHead(301, { Location: '/ui/', 'Content-Length': 0 });
    res.end();
    return;
  }
  const name = file === '' ? 'index.html' : file;
  const type = CONTENT_TYPES[extname(name)];
  if (!PLAIN_FILE.test(name) || type === undefined) throw new ApiError(404, 'NotFound', `the UI has no file "${file}"`);
  let body: Buffer;
  try {
    body = await readFile(join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (name === 'index.html') throw new ApiError(404, 'NotFound', `the web UI is not built (no ${join(dir, name)}): run scripts/build-ui.sh`);
    throw new ApiError(404, 'NotFound', `the UI has no file "${file}"`);
  }
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': body.length,
    // The bundle changes with each build under the same names: revalidate every time.
    'Cache-Control': 'no-cache',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
