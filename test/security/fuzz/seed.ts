/**
 * The fuzzers' seed: `KACTUS_FUZZ_SEED` when set (replaying a failure); under CI a fixed one, so a
 * submission's run is reproducible and a new finding is made on a developer's machine, not in the
 * gate; elsewhere a random one, so every local run explores further.
 */
const CI_SEED = 20261203;

export function fuzzSeed(): number {
  if (process.env.KACTUS_FUZZ_SEED) return Number(process.env.KACTUS_FUZZ_SEED);
  if (process.env.CI) return CI_SEED;
  return Math.floor(Math.random() * 2 ** 31);
}
