/**
 * Where warehouse objects go: a local folder or an S3 prefix. Keys are relative to the warehouse root and
 * always use `/`. A `put` replaces any object at the same key, which is what makes re-runs idempotent.
 */
export interface ObjectSink {
  /** Human-readable location of the warehouse root, such as `/abs/dir` or `s3://bucket/prefix`. */
  readonly root: string;
  put(key: string, body: Uint8Array, contentType?: string): Promise<void>;
  /** `null` when there is no object at the key. */
  get(key: string): Promise<Uint8Array | null>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes the object at the key; a missing object is not an error. */
  delete(key: string): Promise<void>;
}
