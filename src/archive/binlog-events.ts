/**
 * Pure: a walker over MariaDB binlog bytes (v4 events), enough to index an archived binlog without
 * the server: where each transaction ends, its GTID, and its commit time. docs/recovery.md "Time".
 *
 * A transaction starts at its GTID event and ends at its commit event: the XID event, a Query event
 * `COMMIT`/`ROLLBACK` (non-transactional tables), an XA_PREPARE event, or — for a standalone GTID
 * (DDL) — the statement's Query event. Its **commit time** is the timestamp in the header of that
 * commit event: whole seconds, UTC (binlog timestamps are Unix seconds).
 *
 * The walker is incremental: feed it the bytes of one file from the start, in pieces; a piece may
 * end inside an event, which is then read with the next piece. `safeEnd` is the offset after the
 * last complete transaction (or after the last event outside any transaction): a prefix of the file
 * cut there is a valid binlog file that holds only whole transactions.
 */

export const EVENT = {
  QUERY: 2, STOP: 3, ROTATE: 4, FORMAT_DESCRIPTION: 15, XID: 16, XA_PREPARE: 38,
  ANNOTATE_ROWS: 160, BINLOG_CHECKPOINT: 161, GTID: 162, GTID_LIST: 163,
} as const;

const HEADER = 19;
const MAGIC = Buffer.from([0xfe, 0x62, 0x69, 0x6e]);
const FL_STANDALONE = 1;

export interface Gtid { domain: number; server: number; seq: number }

export interface BinlogTransaction {
  gtid: Gtid;
  /** Commit time, epoch ms (whole seconds). */
  commitAt: number;
  /** Offset just after the commit event. */
  end: number;
}

export interface WalkState {
  /** Offset of the next event to read. */
  offset: number;
  /** Offset just after the format description event: the header a continuation segment needs. */
  headerEnd: number;
  checksumLen: number;
  /** A GTID event seen, its transaction not yet ended. */
  open?: { gtid: Gtid; standalone: boolean };
  safeEnd: number;
  /** The file's Gtid_list: the GTID position before its first transaction ('' until read). */
  gtidList: string;
  /** A Rotate or Stop event was read: the file is complete. */
  ended: boolean;
}

export function newWalk(): WalkState {
  return { offset: 0, headerEnd: 0, checksumLen: 0, safeEnd: 0, gtidList: '', ended: false };
}

/**
 * Reads every complete event of `buf` (the file's bytes from offset `base`) at or after
 * `state.offset`. Returns the new state and the transactions that ended in these events.
 * Throws on bytes that are not a binlog.
 */
export function walk(state: WalkState, buf: Buffer, base = 0): { state: WalkState; transactions: BinlogTransaction[] } {
  const s: WalkState = { ...state, open: state.open && { ...state.open } };
  const out: BinlogTransaction[] = [];
  if (s.offset === 0) {
    if (buf.length - (0 - base) < 4) return { state: s, transactions: out };
    if (!buf.subarray(-base, 4 - base).equals(MAGIC)) throw new Error('not a binlog file (bad magic number)');
    s.offset = 4;
    s.safeEnd = 4;
  }
  for (;;) {
    const at = s.offset - base;
    if (at < 0) throw new Error(`walk: offset ${s.offset} is before the bytes given (from ${base})`);
    if (buf.length - at < HEADER) break;
    const size = buf.readUInt32LE(at + 9);
    if (size < HEADER) throw new Error(`corrupt binlog event at ${s.offset} (size ${size})`);
    if (buf.length - at < size) break;
    const ev = buf.subarray(at, at + size);
    const type = ev[4]!;
    const ts = ev.readUInt32LE(0) * 1000;
    const server = ev.readUInt32LE(5);
    const end = s.offset + size;
    switch (type) {
      case EVENT.FORMAT_DESCRIPTION: {
        // …, checksum algorithm (1 byte), CRC32 (4 bytes): alg 1 = CRC32.
        s.checksumLen = size >= HEADER + 57 + 5 && ev[size - 5] === 1 ? 4 : 0;
        if (!s.headerEnd) s.headerEnd = end;
        break;
      }
      case EVENT.GTID: {
        const seq = Number(ev.readBigUInt64LE(HEADER));
        const domain = ev.readUInt32LE(HEADER + 8);
        const flags = ev[HEADER + 12]!;
        s.open = { gtid: { domain, server, seq }, standalone: (flags & FL_STANDALONE) !== 0 };
        break;
      }
      case EVENT.GTID_LIST: {
        if (!s.gtidList) s.gtidList = parseGtidListEvent(ev, s.checksumLen);
        break;
      }
      case EVENT.XID:
      case EVENT.XA_PREPARE:
        if (s.open) close(s, out, ts, end);
        break;
      case EVENT.QUERY: {
        if (!s.open) break;
        if (s.open.standalone) {
          close(s, out, ts, end);
          break;
        }
        const q = queryText(ev, s.checksumLen).trimStart().slice(0, 8).toUpperCase();
        if (q.startsWith('COMMIT') || q.startsWith('ROLLBACK')) close(s, out, ts, end);
        break;
      }
      case EVENT.ROTATE:
      case EVENT.STOP:
        s.ended = true;
        break;
      default:
        break;
    }
    s.offset = end;
    if (!s.open) s.safeEnd = end;
  }
  return { state: s, transactions: out };
}

function close(s: WalkState, out: BinlogTransaction[], ts: number, end: number): void {
  out.push({ gtid: s.open!.gtid, commitAt: ts, end });
  s.open = undefined;
}

/** The statement of a Query event (post-header 13 bytes, status variables, db name + NUL). */
function queryText(ev: Buffer, checksumLen: number): string {
  const dbLen = ev[HEADER + 8]!;
  const statusLen = ev.readUInt16LE(HEADER + 11);
  const start = HEADER + 13 + statusLen + dbLen + 1;
  return ev.subarray(start, ev.length - checksumLen).toString('latin1');
}

/** Gtid_list event: count (u32, low 28 bits), then count × (domain u32, server u32, seq u64). */
function parseGtidListEvent(ev: Buffer, _checksumLen: number): string {
  const n = ev.readUInt32LE(HEADER) & 0x0fffffff;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const o = HEADER + 4 + i * 16;
    if (o + 16 > ev.length) break;
    parts.push(`${ev.readUInt32LE(o)}-${ev.readUInt32LE(o + 4)}-${ev.readBigUInt64LE(o + 8)}`);
  }
  return parts.sort().join(',');
}

export function formatGtid(g: Gtid): string {
  return `${g.domain}-${g.server}-${g.seq}`;
}
