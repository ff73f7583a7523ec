/**
 * The request target as a URL, read as a server must: `//a/b` and `/\a` are paths of this server,
 * never another authority (`new URL('//a/b', base)` would make `a` the host and lose the segment,
 * or throw for `//%zz`). Absolute-form targets (`GET https://host/path`, what proxies are sent)
 * keep their path and query; anything else is a 400 Status.
 */
import { ApiError } from '../../api/status.ts';

const BASE = 'https://apiserver';

export function requestUrl(target: string | undefined): URL {
  const raw = target ?? '/';
  try {
    // Concatenated after a fixed authority, everything sent is path, query and fragment.
    if (raw.startsWith('/')) return new URL(`${BASE}${raw}`);
    const absolute = new URL(raw);
    return new URL(`${BASE}${absolute.pathname}${absolute.search}`);
  } catch {
    throw ApiError.badRequest(`invalid request target ${JSON.stringify(raw.slice(0, 200))}: not a path`);
  }
}
