/**
 * Test vectors only: makes `crypto.getRandomValues` hand out the given bytes,
 * in order, while `run` runs, so that a seal's random IV can be pinned. The
 * production code has no switch for its IVs; this replaces the source of
 * randomness from outside and puts it back, and fails if the code asked for
 * other lengths or fewer values than were given.
 */
export async function withRandomBytes<T>(values: Uint8Array[], run: () => Promise<T>): Promise<T> {
  const queue = [...values];
  Object.defineProperty(crypto, 'getRandomValues', {
    configurable: true,
    writable: true,
    value: <A extends ArrayBufferView | null>(array: A): A => {
      const next = queue.shift();
      if (!array || !next || next.length !== array.byteLength) throw new Error(`Unexpected request for ${array?.byteLength ?? 0} random bytes`);
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(next);
      return array;
    },
  });
  try {
    const result = await run();
    if (queue.length > 0) throw new Error(`${queue.length} fixed random value(s) were not used`);
    return result;
  } finally {
    // The own property goes; the prototype's real method shows through again.
    delete (crypto as { getRandomValues?: unknown }).getRandomValues;
  }
}
