/**
 * What the node tells its master on the actor channel, held until it can be sent.
 *
 * - Statuses coalesce: at most one `pod.status` in flight per pod, and only the latest waits;
 *   one equal to the last delivered is not sent again. After a reconnect every known status
 *   is sent again (the master may have missed any of them).
 * - `pod.terminated` waits until delivered.
 * - `event.recorded` is sent in order, one at a time; while disconnected at most
 *   MAX_PENDING_EVENTS wait and the oldest are dropped (Events are informational).
 */
import type { EventRecorded, PodKey } from '../src/net/messages.ts';

/** Events kept while the master is unreachable. */
export const MAX_PENDING_EVENTS = 1024;

/** Sends one message; undefined when there is no channel right now. */
export type SendFn = (type: 'pod.status' | 'pod.terminated' | 'event.recorded', body: unknown) => Promise<void> | undefined;

interface StatusEntry {
  key: PodKey;
  json: string;
  delivered?: string;
  inFlight: boolean;
}

export class Outbox {
  private readonly statuses = new Map<string, StatusEntry>();
  private readonly terminated = new Map<string, { key: PodKey; inFlight: boolean }>();
  private readonly events: EventRecorded[] = [];
  private eventInFlight = false;

  constructor(
    private readonly send: SendFn,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  status(key: PodKey, status: object): void {
    const json = JSON.stringify(status);
    const entry = this.statuses.get(key.uid);
    if (entry) {
      entry.json = json;
      entry.key = key;
    } else {
      this.statuses.set(key.uid, { key, json, inFlight: false });
    }
    this.pumpStatus(key.uid);
  }

  event(event: EventRecorded): void {
    this.events.push(event);
    if (this.events.length > MAX_PENDING_EVENTS) this.events.shift();
    this.pumpEvents();
  }

  /** The pod is gone from the node: tell the master once, then forget its status. */
  podTerminated(key: PodKey): void {
    this.terminated.set(key.uid, { key, inFlight: false });
    this.pumpTerminated(key.uid);
  }

  /** Forget a pod's status (it was torn down without termination, e.g. by pods.sync). */
  forget(uid: string): void {
    this.statuses.delete(uid);
  }

  /** A channel is (again) open: resend every status, and whatever waits. */
  connected(): void {
    for (const [uid, entry] of this.statuses) {
      entry.delivered = undefined;
      this.pumpStatus(uid);
    }
    for (const uid of this.terminated.keys()) this.pumpTerminated(uid);
    this.pumpEvents();
  }

  /** Messages not yet delivered (for tests and metrics). */
  get pending(): number {
    let n = this.events.length + this.terminated.size;
    for (const e of this.statuses.values()) if (e.delivered !== e.json) n++;
    return n;
  }

  private pumpStatus(uid: string): void {
    const entry = this.statuses.get(uid);
    if (!entry || entry.inFlight || entry.delivered === entry.json) return;
    const json = entry.json;
    const sending = this.send('pod.status', { ...entry.key, status: JSON.parse(json) as unknown });
    if (!sending) return;
    entry.inFlight = true;
    sending.then(
      () => {
        entry.inFlight = false;
        entry.delivered = json;
        this.pumpStatus(uid);
      },
      // A broken channel: `connected()` resends after the reconnect.
      () => void (entry.inFlight = false),
    );
  }

  private pumpTerminated(uid: string): void {
    const entry = this.terminated.get(uid);
    if (!entry || entry.inFlight) return;
    const sending = this.send('pod.terminated', entry.key);
    if (!sending) return;
    entry.inFlight = true;
    sending.then(
      () => {
        this.terminated.delete(uid);
        this.statuses.delete(uid);
      },
      () => void (entry.inFlight = false),
    );
  }

  private pumpEvents(): void {
    if (this.eventInFlight || this.events.length === 0) return;
    const sending = this.send('event.recorded', this.events[0]);
    if (!sending) return;
    this.eventInFlight = true;
    sending.then(
      () => {
        this.eventInFlight = false;
        this.events.shift();
        this.pumpEvents();
      },
      (err: unknown) => {
        this.eventInFlight = false;
        this.onError(err);
      },
    );
  }
}
