/**
 * Calls `check` until it returns a value other than undefined (then resolves with it) or
 * `timeoutMs` passes (then rejects with the last thing it said). For conditions that depend on
 * Redis's own timers, such as a replica's first sync; never a fixed sleep.
 *
 * @example const phase = await eventually(async () => ((await get()).phase === 'ready' ? true : undefined), 20_000);
 */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
      last = 'not yet';
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`, { cause: last });
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
