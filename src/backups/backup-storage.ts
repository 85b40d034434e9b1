/**
 * The BackupStorage port: where backup artifacts live. The local adapter keeps them in a
 * folder (`backups.dir`); an S3-compatible adapter would keep the same contract.
 *
 * Contracts:
 * - A job writes an artifact to stagingPath(key); readers only ever see published artifacts,
 *   so a half-written or failed backup is never presented as good.
 * - publish() makes the staged artifact durable and visible under `key` atomically, and
 *   returns the size and sha256 of exactly the bytes published.
 * - Every removal is idempotent: removing what is not there succeeds.
 */
import type { Readable } from 'node:stream';

export interface PublishedArtifact {
  sizeBytes: number;
  /** Lowercase hex. */
  sha256: string;
}

export interface BackupStorage {
  readonly kind: string;
  /** The file a backup job writes the artifact of `key` to while it is being made. Creates its folder. */
  stagingPath(key: string): string;
  /** Durably publishes the staged artifact under `key` (replacing an earlier one); fails when nothing is staged. */
  publish(key: string): Promise<PublishedArtifact>;
  /** Removes the staged artifact of `key`, if any. */
  discardStaged(key: string): Promise<void>;
  /** Removes the published artifact of `key`, if any. */
  remove(key: string): Promise<void>;
  /** Size of a published artifact, or undefined when there is none. */
  stat(key: string): Promise<{ sizeBytes: number; mtimeMs: number } | undefined>;
  /** The bytes of a published artifact, `start`..`end` inclusive (default: all of it). */
  read(key: string, range?: { start: number; end: number }): Readable;
  /** Keys of every staged artifact (leftovers are swept by the scheduler). */
  listStaged(): Promise<string[]>;
}
