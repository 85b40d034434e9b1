/**
 * The `Range` header of a download (RFC 9110 §14): one byte range, which is what `curl -C -`,
 * browsers and download managers send to resume. Pure.
 */

export type RangeDecision =
  /** Serve the whole file (no Range, a Range we do not support, or If-Range that does not match). */
  | { kind: 'full' }
  /** Serve bytes start..end inclusive with 206. */
  | { kind: 'partial'; start: number; end: number }
  /** 416: the range starts at or past the end of the file. */
  | { kind: 'unsatisfiable' };

/**
 * `ifRange`/`etag`: an If-Range that names another version of the file (not our ETag) means
 * "send it all". Several ranges (`bytes=0-1,5-9`) are answered with the whole file, which
 * RFC 9110 allows. A syntactically invalid Range is ignored, as the RFC says.
 */
export function decideRange(header: string | undefined, size: number, ifRange?: string, etag?: string): RangeDecision {
  if (!header) return { kind: 'full' };
  if (ifRange !== undefined && ifRange !== etag) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    // suffix range: the last N bytes
    const n = Number(m[2]);
    if (n === 0) return { kind: 'unsatisfiable' };
    if (size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (!Number.isSafeInteger(start) || (last !== Infinity && !Number.isSafeInteger(last))) return { kind: 'full' };
  if (last < start) return { kind: 'full' }; // invalid: ignored
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = Math.min(last, size - 1);
  return { kind: 'partial', start, end };
}
