/**
 * The session settings of every connection the control plane opens to a node (client.ts,
 * monitor.ts) and of the init file run at every start (sql.ts initSql). Pure.
 *
 * Users may change global variables (ModifyDBParameter, or the Super account where the server
 * lets it), and a new session starts from the global values. The control plane's SQL and its
 * readers (the SHOW GRANTS parser, quoteString, mysql2's `?` placeholders) assume one way of
 * parsing and one form of output, so each internal session first sets every variable that
 * changes how a statement is parsed, what it outputs, or whether it may run, to the value below.
 * docs/parameters.md ("Internal sessions") lists them.
 *
 * Left out on purpose: `big_tables` (ignored since MariaDB 10.5), `tx_isolation` (internal
 * statements are single-statement transactions), `sql_log_bin` (internal account and grant
 * changes must replicate; initSql turns it off itself), `old_mode` (internal SQL names
 * utf8mb4 explicitly).
 */

export interface PinnedVariable {
  name: string;
  /** SQL literal: a number, or a single-quoted string without quotes or backslashes inside. */
  value: string;
  why: string;
}

/** MariaDB 10.11's default sql_mode: strict, and a GRANT never creates a user (NO_AUTO_CREATE_USER). */
export const INTERNAL_SQL_MODE = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION';

export const INTERNAL_SESSION: readonly PinnedVariable[] = [
  { name: 'sql_mode', value: `'${INTERNAL_SQL_MODE}'`,
    why: 'ANSI_QUOTES turns SHOW GRANTS quoting into "…" (the grant parser expects backquotes), NO_BACKSLASH_ESCAPES breaks the backslash escapes of quoteString and of mysql2 placeholders, PIPES_AS_CONCAT, IGNORE_SPACE, HIGH_NOT_PRECEDENCE, EMPTY_STRING_IS_NULL and ORACLE change how statements parse; NO_AUTO_CREATE_USER keeps a GRANT from creating a password-less user' },
  { name: 'sql_quote_show_create', value: '1', why: 'SHOW GRANTS quotes every identifier, so the parser sees one form' },
  { name: 'character_set_client', value: "'utf8mb4'", why: 'statements are sent as UTF-8' },
  { name: 'character_set_connection', value: "'utf8mb4'", why: 'literals are read as UTF-8' },
  { name: 'character_set_results', value: "'utf8mb4'", why: 'names and messages come back as UTF-8' },
  { name: 'collation_connection', value: "'utf8mb4_general_ci'", why: 'comparisons with literals use one known collation' },
  { name: 'time_zone', value: "'+00:00'", why: 'times the server renders (NOW()) are UTC, whatever the instance TimeZone' },
  { name: 'autocommit', value: '1', why: 'every internal statement commits by itself (a global autocommit=0 would leave the heartbeat write open)' },
  { name: 'tx_read_only', value: '0', why: 'internal writes (heartbeat, accounts) are not refused by a global read-only transaction default' },
  { name: 'max_statement_time', value: '0', why: 'internal statements have their own deadlines; a tiny global limit aborts even SHOW GLOBAL VARIABLES' },
  { name: 'wait_timeout', value: '28800', why: 'monitoring and probe connections stay open between reads (they idle up to 30 s)' },
  { name: 'net_read_timeout', value: '30', why: 'server default: a tiny global value cuts internal reads' },
  { name: 'net_write_timeout', value: '60', why: 'server default: a tiny global value cuts internal results' },
  { name: 'lock_wait_timeout', value: '30', why: 'a GRANT or CREATE USER waits at most 30 s for a metadata lock: neither the global default of a day nor a hostile 1 s' },
  { name: 'innodb_lock_wait_timeout', value: '50', why: 'server default, for the heartbeat row' },
  { name: 'group_concat_max_len', value: '1048576', why: 'server default: a GROUP_CONCAT is not cut at a user value (as small as 4)' },
  { name: 'sql_select_limit', value: '18446744073709551615', why: 'a global limit would silently shorten internal SELECT results' },
  { name: 'sql_big_selects', value: '1', why: 'a small global max_join_size would refuse internal SELECTs' },
  { name: 'max_session_mem_used', value: '9223372036854775807', why: 'server default: a small global cap would fail internal statements' },
  { name: 'explicit_defaults_for_timestamp', value: '1', why: 'the heartbeat table is defined the same way whatever the user chose' },
  { name: 'lc_messages', value: "'en_US'", why: 'server errors in internal logs and StatusDetail are in English' },
];

/**
 * The one statement that pins a session. It must itself parse the same under any sql_mode:
 * only single-quoted words without quotes or backslashes, numbers, no `||`, no empty string.
 */
export function pinSessionSql(vars: readonly PinnedVariable[] = INTERNAL_SESSION): string {
  return 'SET ' + vars.map((v) => `SESSION ${v.name} = ${v.value}`).join(', ');
}

export const PIN_SESSION_SQL = pinSessionSql();
