/**
 * Delay before reconnect attempt number `failures` (0 = first retry): doubling from `minMs`,
 * never above `maxMs`. Pure, so the schedule is tested without waiting.
 */
export function reconnectDelay(failures: number, minMs: number, maxMs: number): number {
  const floor = Math.max(0, minMs);
  const ceiling = Math.max(floor, maxMs);
  if (failures <= 0) return floor;
  // 2^31 already exceeds any sane ceiling; capping the exponent keeps the arithmetic finite.
  const grown = floor * 2 ** Math.min(failures, 31);
  return Math.min(ceiling, grown === 0 ? 0 : grown);
}
