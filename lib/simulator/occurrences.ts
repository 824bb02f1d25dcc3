import type { OccurrenceSeries } from './model';

/** First index whose timestamp is >= `value` (the length when none is). */
export function lowerBound(timestamps: Float64Array, value: number): number {
  let low = 0;
  let high = timestamps.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((timestamps[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Index range `[start, end)` of the occurrences in the window `[from, to)`. */
export function windowRange(series: OccurrenceSeries, from: number, to: number): [number, number] {
  const start = lowerBound(series.timestamps, from);
  const end = lowerBound(series.timestamps, to);
  return [start, end];
}

/**
 * Counts distinct ids in `values[start, end)`. Sorting a copy in a reused buffer beats a `Set` by a wide
 * margin for the tens of thousands of values a large window holds.
 */
export class DistinctCounter {
  private buffer = new Int32Array(1024);

  count(values: Int32Array, start: number, end: number): number {
    const length = end - start;
    if (length <= 1) return Math.max(0, length);
    if (length > this.buffer.length) this.buffer = new Int32Array(Math.max(length, this.buffer.length * 2));
    const scratch = this.buffer.subarray(0, length);
    scratch.set(values.subarray(start, end));
    scratch.sort();
    let distinct = 1;
    for (let index = 1; index < length; index++) {
      if (scratch[index] !== scratch[index - 1]) distinct++;
    }
    return distinct;
  }
}

export function emptySeries(): OccurrenceSeries {
  return { timestamps: new Float64Array(0), userIds: new Int32Array(0), sessionIds: new Int32Array(0) };
}

/** Merges two series into a new sorted one; on equal timestamps the existing occurrence comes first. */
export function mergeSeries(existing: OccurrenceSeries, added: OccurrenceSeries): OccurrenceSeries {
  const total = existing.timestamps.length + added.timestamps.length;
  const merged: OccurrenceSeries = {
    timestamps: new Float64Array(total),
    userIds: new Int32Array(total),
    sessionIds: new Int32Array(total),
  };
  let left = 0;
  let right = 0;
  for (let out = 0; out < total; out++) {
    const takeLeft =
      right >= added.timestamps.length ||
      (left < existing.timestamps.length &&
        (existing.timestamps[left] as number) <= (added.timestamps[right] as number));
    const source = takeLeft ? existing : added;
    const position = takeLeft ? left++ : right++;
    merged.timestamps[out] = source.timestamps[position] as number;
    merged.userIds[out] = source.userIds[position] as number;
    merged.sessionIds[out] = source.sessionIds[position] as number;
  }
  return merged;
}
