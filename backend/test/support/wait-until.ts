/** Waits for a condition (no fixed sleeps): polls `condition` until it holds, or fails after `ceilingMs` saying what it waited for. */
export async function waitUntil(what: string, condition: () => Promise<boolean> | boolean, ceilingMs = 30_000): Promise<void> {
  const deadline = Date.now() + ceilingMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
