/** The slice tracker: a sync waits for the cache to show the controller's own writes, but not forever. */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { expect, it } from 'vitest';
import { SliceTracker } from './slice-tracker.ts';

const slice = (name: string, rv: number): EndpointSlice => ({ addressType: 'IPv4', endpoints: [], metadata: { name, resourceVersion: String(rv) } });
const cache = (...slices: EndpointSlice[]) => new Map(slices.map((s) => [s.metadata?.name ?? '', s]));

it('is stale until the cache shows what was written or deleted, then forgets', () => {
  const t = new SliceTracker(() => 0, 10_000);
  t.written('svc', slice('a', 7));
  t.deleted('svc', 'b');
  expect(t.stale('svc', cache(slice('b', 3)))).toBe(true);
  expect(t.stale('svc', cache(slice('a', 6), slice('b', 3)))).toBe(true);
  expect(t.stale('svc', cache(slice('a', 7), slice('b', 3)))).toBe(true);
  expect(t.stale('svc', cache(slice('a', 8)))).toBe(false);
  // Met expectations are gone: an older cache no longer counts as stale.
  expect(t.stale('svc', cache())).toBe(false);
});

it('a deletion seen by the informer, or an expectation past its age, stops holding the Service back', () => {
  let now = 0;
  const t = new SliceTracker(() => now, 10_000);
  t.written('svc', slice('a', 7));
  t.observedDeletion('svc', 'a');
  expect(t.stale('svc', cache())).toBe(false);
  t.written('svc', slice('c', 9));
  now = 5_000;
  expect(t.stale('svc', cache())).toBe(true);
  now = 10_001;
  expect(t.stale('svc', cache())).toBe(false);
});
