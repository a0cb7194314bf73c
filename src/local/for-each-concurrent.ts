/**
 * Runs `fn` over `items` with at most `limit` calls in flight, in order of start. Stops
 * starting new calls when `signal` aborts and rethrows the abort reason; the first error from
 * `fn` stops the run and is rethrown once in-flight calls settle.
 */
export async function forEachConcurrent<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      signal?.throwIfAborted();
      const index = next;
      next += 1;
      try {
        await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.max(1, Math.min(limit, items.length)); i += 1) workers.push(worker());
  await Promise.all(workers);
  if (failure !== null) throw (failure as { error: unknown }).error;
  signal?.throwIfAborted();
}
