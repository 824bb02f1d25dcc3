/** Small numeric helpers shared by the benchmark sections. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export const MEGABYTE = 1_000_000;

export function toMegabytes(bytes: number, digits = 1): number {
  return round(bytes / MEGABYTE, digits);
}

/** Ratio rounded for reports; `null` when the denominator is zero. */
export function ratio(numerator: number, denominator: number, digits = 2): number | null {
  return denominator === 0 ? null : round(numerator / denominator, digits);
}
