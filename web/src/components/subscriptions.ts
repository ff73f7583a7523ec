/**
 * What a component follows (its requests and watches by an AbortSignal, its event stream), ended
 * together when it starts over for a new filter or leaves the page. A Lit reactive controller, so
 * the leaving is wired once here rather than in each component's disconnectedCallback.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { EventStream } from '../api/stream.ts';

export class Subscriptions implements ReactiveController {
  private controller = new AbortController();
  private stream: EventStream | undefined;

  constructor(host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** Aborted when the current round ends. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether an event stream is followed now (false after the host left the page). */
  get streaming(): boolean {
    return this.stream !== undefined;
  }

  /** Ends the current round and starts a new one. */
  renew(): void {
    this.end();
    this.controller = new AbortController();
  }

  /** The event stream of this round, closed when it ends. */
  follow(stream: EventStream): void {
    this.stream = stream;
  }

  end(): void {
    this.controller.abort();
    this.stream?.close();
    this.stream = undefined;
  }

  hostDisconnected(): void {
    this.end();
  }
}
