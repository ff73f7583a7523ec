/**
 * Reading Docker engine answers: the HTTP status of a failed call (dockerode puts it on the
 * error as `statusCode`) and the engine's container states mapped to the runtime's three.
 */
import type { ContainerState } from '../../src/runtime/types.ts';

/** The engine's HTTP status carried by a dockerode error, if any. */
export function dockerStatusCode(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number') return err.statusCode;
  return undefined;
}

/** Docker's states: created, restarting, running, paused, removing, exited, dead. */
export function toContainerState(dockerState: string): ContainerState {
  switch (dockerState) {
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    default:
      return 'exited';
  }
}

/** Docker reports "never" as the zero time. */
export function dockerTime(value: string | undefined): Date | undefined {
  if (value === undefined || value.startsWith('0001-01-01')) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
