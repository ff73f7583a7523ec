/**
 * Kubernetes' slowStartBatch: run `count` calls in batches of 1, 2, 4, ... (from `initial`),
 * each batch in parallel, stopping after the first batch with a failure. A quota problem or a
 * bad template then costs one failed call, not hundreds.
 */
export async function slowStartBatch(count: number, initial: number, call: () => Promise<void>): Promise<{ succeeded: number; error?: unknown }> {
  let succeeded = 0;
  let remaining = count;
  for (let batch = Math.min(remaining, initial); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => call()));
    remaining -= batch;
    succeeded += results.filter((r) => r.status === 'fulfilled').length;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) return { succeeded, error: failed.reason };
  }
  return { succeeded };
}
