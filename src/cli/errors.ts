/**
 * Typed CLI errors. main.ts turns each into kubectl's wording and exit code 1.
 */

/** A Kubernetes `Status` body as the API server returns it on failure. */
export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: { field?: string; message?: string; reason?: string }[] };
}

/** The server answered a request with an error status; `status` is its Status body when it sent one. */
export class ApiStatusError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly status: ApiStatus,
  ) {
    super(status.message || `the server responded with HTTP ${httpStatus}`);
    this.name = 'ApiStatusError';
  }

  /** The Status reason (NotFound, AlreadyExists, Invalid, ...), or '' when the server gave none. */
  get reason(): string {
    return this.status.reason ?? '';
  }
}

/** The server could not be reached (refused, TLS failure, DNS, ...). */
export class ConnectionError extends Error {
  constructor(
    readonly server: string,
    override readonly cause: Error,
  ) {
    super(`the connection to the server ${server} failed: ${cause.message}`);
    this.name = 'ConnectionError';
  }
}

/** A usage or input problem found on the client side (bad flag, unknown resource type, bad YAML). */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The kubectl-style line for an error: `Error from server (NotFound): pods "x" not found`. */
export function formatError(err: unknown): string {
  if (err instanceof ApiStatusError) {
    return err.reason ? `Error from server (${err.reason}): ${err.message}` : `Error from server: ${err.message}`;
  }
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
