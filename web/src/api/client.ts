/**
 * The dashboard's HTTP client: the Kubernetes API and kactus' own, same origin, with the login
 * token as `Authorization: Bearer`. Errors carry the Kubernetes Status the server answered; a 401
 * tells the app to ask for a token again.
 */
import type { Status } from './types.ts';

/** A failed API call, with the Status the server sent (or the HTTP code alone). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Whether `err` is the API's 403: the user may not do what was asked (its message says what, in Kubernetes' words). */
export function isForbidden(err: unknown): err is ApiError {
  return err instanceof ApiError && err.code === 403;
}

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io, application/json';

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const status = JSON.parse(text) as Status;
    if (status.kind === 'Status') return new ApiError(res.status, status.message ?? res.statusText, status.reason);
  } catch {
    // not JSON: fall through to the text itself
  }
  return new ApiError(res.status, text.trim() || `${res.status} ${res.statusText}`);
}

/** Tries of a request that got no answer at all (a network error, not an HTTP status). */
const NETWORK_ATTEMPTS = 4;

export class Api {
  constructor(
    private readonly token: string,
    /** Called on any 401: the token is wrong or was revoked. */
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  /** A fetch with the token; a non-2xx answer throws its Status as an ApiError. */
  async request(path: string, init: { accept?: string; signal?: AbortSignal; body?: unknown } = {}): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: init.accept ?? 'application/json' };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const send = (): Promise<Response> =>
      fetch(path, {
        method: init.body === undefined ? 'GET' : 'POST',
        headers,
        body: init.body === undefined ? null : JSON.stringify(init.body),
        signal: init.signal,
        cache: 'no-store',
      });
    // A request that never got an answer (the browser's network changed under it: a laptop
    // switching networks, or a machine making interfaces) is sent again, a few times: every call
    // here is a read or a review, which changes nothing on the server.
    let res: Response;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await send();
        break;
      } catch (err) {
        if (attempt >= NETWORK_ATTEMPTS || init.signal?.aborted || !(err instanceof TypeError)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
    if (!res.ok) {
      if (res.status === 401) this.onUnauthorized();
      throw await errorOf(res);
    }
    return res;
  }

  async json<T>(path: string, init: { accept?: string; signal?: AbortSignal } = {}): Promise<T> {
    return (await (await this.request(path, init)).json()) as T;
  }

  /** `POST` of `body` as JSON (the review kinds: asked, answered, never stored). */
  async post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return (await (await this.request(path, { body, signal })).json()) as T;
  }

  async text(path: string, signal?: AbortSignal): Promise<string> {
    return (await this.request(path, { accept: 'text/plain, */*', signal })).text();
  }

  /**
   * Reads a streamed response line by line (watch events, followed logs) until it ends or
   * `signal` aborts; each complete line goes to `onLine`.
   */
  async lines(path: string, onLine: (line: string) => void, init: { accept?: string; signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.request(path, init);
    if (!res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += value;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim() !== '') onLine(line);
        }
      }
      if (buffered.trim() !== '') onLine(buffered);
    } finally {
      reader.releaseLock();
    }
  }
}
