export interface Bucket {
  /** Inclusive, epoch ms, a multiple of the bucket duration (UTC-aligned). */
  readonly start: number;
  /** Exclusive, epoch ms. */
  readonly end: number;
}

/**
 * Widens `[from, to)` outward to whole buckets. A partial bucket would overwrite the bucket's complete
 * Parquet file from an earlier run with a fraction of its rows, so a run only ever writes whole buckets.
 */
export function alignedBuckets(from: number, to: number, bucketMs: number): Bucket[] {
  const first = Math.floor(from / bucketMs) * bucketMs;
  const last = Math.ceil(to / bucketMs) * bucketMs;
  const buckets: Bucket[] = [];
  for (let start = first; start < last; start += bucketMs) buckets.push({ start, end: start + bucketMs });
  return buckets;
}
