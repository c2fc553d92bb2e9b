// How `make bench-js` measures, in every runtime it runs in (Node, Deno,
// Bun): ops/sec over rounds of ROUND_MS, contenders interleaved round by
// round so that the machine's drift hits all alike, the median reported.

/** A number from the environment where the runtime lets us read it (Deno
 * without --allow-env does not). */
function setting(name, fallback) {
  try {
    return Number(globalThis.process?.env?.[name] ?? fallback);
  } catch {
    return fallback;
  }
}

/** Rounds per contender, and the length of one round. */
export const ROUNDS = setting('BENCH_ROUNDS', 7);
export const ROUND_MS = setting('BENCH_ROUND_MS', 300);

/** ops/sec of `fn` (awaited) over one round. */
async function rate(fn) {
  let ops = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 8; i++) await fn();
    ops += 8;
    elapsed = performance.now() - started;
  } while (elapsed < ROUND_MS);
  return (ops * 1000) / elapsed;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Median ops/sec of each contender, after one warm-up round each. */
export async function compare(contenders) {
  const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (const fn of Object.values(contenders)) await rate(fn);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(contenders)) samples[name].push(await rate(fn));
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}
