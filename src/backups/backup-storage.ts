/**
 * The BackupStorage port: where backup artifacts (and, later, archived binlog segments) live,
 * as keys and byte streams: no local path crosses it. The local adapter keeps them in a folder
 * (`backups.dir`); an S3-compatible adapter would keep the same contract (an upload is a
 * multipart upload, commit completes it, abort aborts it).
 *
 * Contracts:
 * - Keys are 1–4 segments of [A-Za-z0-9._-] joined by `/`, none starting with `.` (e.g.
 *   `<instance>/<backupId>.xb.zst`). Anything else is refused with an Error.
 * - An upload writes an artifact through a stream; readers (read, stat, list) only ever see
 *   committed artifacts, so a half-written or failed one is never presented as good.
 * - commit() makes exactly the bytes written durable and visible under the key atomically
 *   (replacing an earlier artifact of that key), and returns their size and sha256.
 * - Every removal is idempotent: removing what is not there succeeds.
 */
import type { Readable, Writable } from 'node:stream';

export interface PublishedArtifact {
  sizeBytes: number;
  /** Lowercase hex. */
  sha256: string;
}

/** An artifact being written (BackupStorage.openUpload). */
export interface ArtifactUpload {
  /** Where the artifact's bytes go, in order. The writer ends it (`end()`) when it has written everything. */
  readonly writable: Writable;
  /**
   * Once `writable` has finished: makes the bytes durable and visible under the key, atomically,
   * and returns their size and sha256. Rejects (publishing nothing) when the writable failed, was
   * destroyed or has not finished.
   */
  commit(): Promise<PublishedArtifact>;
  /** Drops what was written (the writable is destroyed first). Idempotent; does nothing after a commit. */
  abort(): Promise<void>;
}

export interface BackupStorage {
  readonly kind: string;
  /**
   * Starts writing the artifact of `key`. An unfinished upload of the same key (left by a crashed
   * process) is discarded first. The committed artifact of `key`, if any, stays readable until
   * the new one is committed.
   */
  openUpload(key: string): Promise<ArtifactUpload>;
  /** Removes the unfinished upload of `key`, if any (one a crashed process left behind). */
  discardStaged(key: string): Promise<void>;
  /** Keys of every unfinished upload (leftovers are swept by the scheduler). */
  listStaged(): Promise<string[]>;
  /** Removes the committed artifact of `key` and any unfinished upload of it. */
  remove(key: string): Promise<void>;
  /** Size of a committed artifact, or undefined when there is none. */
  stat(key: string): Promise<{ sizeBytes: number; mtimeMs: number } | undefined>;
  /** The bytes of a committed artifact, `start`..`end` inclusive (default: all of it). The stream errors when there is none. */
  read(key: string, range?: { start: number; end: number }): Readable;
  /** Keys of the committed artifacts whose key starts with `prefix` (e.g. `<instance>/`), sorted. */
  list(prefix: string): Promise<string[]>;
}

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Pure: why `key` is not a valid artifact key, or undefined when it is. */
export function keyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length < 1 || parts.length > 4) return 'a key has 1 to 4 segments';
  const bad = parts.find((p) => !SEGMENT.test(p) || p.length > 200);
  return bad === undefined ? undefined : `segment ${JSON.stringify(bad)} is not [A-Za-z0-9._-] (not starting with a dot)`;
}

/** The last segment of a key (its file name in a download). */
export function keyName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}
