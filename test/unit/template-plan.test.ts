/** Datadir templates, pure part: the key, manifest validation and the use/build/rebuild plan. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildManifest, identityFiles, listingDigest, planTemplate, templateKey, TEMPLATE_FORMAT, type ManifestFile, type ObservedFile, type TemplateObservation, type TemplateWant,
} from '../../src/provisioner/local/template-plan.js';
import { initSettings } from '../../src/engine/mariadb/profile/mycnf.js';

const WANT: TemplateWant = { engine: 'mariadb', version: '10.11.19', settings: initSettings() };
const FILES: ManifestFile[] = [
  { path: 'ibdata1', size: 12582912, sha256: 'a'.repeat(64) },
  { path: 'ib_logfile0', size: 8388608, sha256: 'b'.repeat(64) },
  { path: 'mysql/global_priv.MAD', size: 8192, sha256: 'c'.repeat(64) },
  { path: 'aria_log_control', size: 52, sha256: 'd'.repeat(64) },
];
const manifest = (over: Record<string, unknown> = {}, want = WANT, files = FILES) => JSON.stringify({ ...buildManifest(want, files, '2026-12-01T00:00:00.000Z'), ...over });
const observed = (files = FILES, hashed = true): ObservedFile[] => files.map((f) => ({ path: f.path, size: f.size, ...(hashed ? { sha256: f.sha256 } : {}) }));

test('templateKey: stable, independent of key order, different for every input that shapes the datadir', () => {
  const k = templateKey(WANT);
  assert.match(k, /^[0-9a-f]{24}$/);
  assert.equal(templateKey({ ...WANT, settings: Object.fromEntries(Object.entries(WANT.settings).reverse()) }), k);
  const others: TemplateWant[] = [
    { ...WANT, version: '10.11.20' },
    { ...WANT, engine: 'mysql' },
    { ...WANT, settings: { ...WANT.settings, 'innodb-page-size': '32k' } },
    { ...WANT, settings: { ...WANT.settings, 'lower-case-table-names': '1' } },
    { ...WANT, settings: { ...WANT.settings, 'innodb-log-file-size': '96M' } },
  ];
  const keys = new Set([k, ...others.map(templateKey)]);
  assert.equal(keys.size, others.length + 1);
});

test('buildManifest: sorted listing, digest over it, names its key', () => {
  const m = buildManifest(WANT, FILES, 'T');
  assert.equal(m.format, TEMPLATE_FORMAT);
  assert.equal(m.key, templateKey(WANT));
  assert.deepEqual(m.files.map((f) => f.path), ['aria_log_control', 'ib_logfile0', 'ibdata1', 'mysql/global_priv.MAD']);
  assert.equal(m.digest, listingDigest(m.files));
  assert.notEqual(listingDigest(m.files), listingDigest(m.files.map((f, i) => (i === 0 ? { ...f, size: f.size + 1 } : f))));
});

const CASES: Array<{ name: string; obs: TemplateObservation; want?: TemplateWant; plan: 'use' | 'build' | 'rebuild'; why?: RegExp }> = [
  { name: 'nothing there', obs: { exists: false }, plan: 'build' },
  { name: 'valid, contents hashed', obs: { exists: true, manifestText: manifest(), files: observed() }, plan: 'use' },
  { name: 'valid, listing only (already verified in this process)', obs: { exists: true, manifestText: manifest(), files: observed(FILES, false) }, plan: 'use' },
  { name: 'valid, files found in another order', obs: { exists: true, manifestText: manifest(), files: observed([...FILES].reverse()) }, plan: 'use' },
  { name: 'folder without manifest (half-written)', obs: { exists: true, files: observed() }, plan: 'rebuild', why: /no manifest/ },
  { name: 'manifest without datadir', obs: { exists: true, manifestText: manifest() }, plan: 'rebuild', why: /no datadir/ },
  { name: 'manifest cut short', obs: { exists: true, manifestText: manifest().slice(0, 100), files: observed() }, plan: 'rebuild', why: /not valid JSON/ },
  { name: 'manifest is not an object', obs: { exists: true, manifestText: '42', files: observed() }, plan: 'rebuild', why: /no file listing/ },
  { name: 'another server version', obs: { exists: true, manifestText: manifest({ version: '10.6.1' }), files: observed() }, plan: 'rebuild', why: /made by "10\.6\.1"/ },
  { name: 'made by this version, wanted by the next', obs: { exists: true, manifestText: manifest(), files: observed() }, want: { ...WANT, version: '10.11.20' }, plan: 'rebuild', why: /the server here is "10\.11\.20"/ },
  { name: 'another engine', obs: { exists: true, manifestText: manifest({ engine: 'mysql' }), files: observed() }, plan: 'rebuild', why: /engine mysql/ },
  { name: 'other init-time settings', obs: { exists: true, manifestText: manifest({ settings: { ...WANT.settings, 'innodb-page-size': '64k' } }), files: observed() }, plan: 'rebuild', why: /other init-time settings/ },
  { name: 'settings wanted now differ', obs: { exists: true, manifestText: manifest(), files: observed() }, want: { ...WANT, settings: { ...WANT.settings, extra: '1' } }, plan: 'rebuild', why: /other init-time settings/ },
  { name: 'older template format', obs: { exists: true, manifestText: manifest({ format: 0 }), files: observed() }, plan: 'rebuild', why: /format 0/ },
  { name: 'manifest names another key', obs: { exists: true, manifestText: manifest({ key: 'f'.repeat(24) }), files: observed() }, plan: 'rebuild', why: /another key/ },
  { name: 'listing edited without its digest', obs: { exists: true, manifestText: manifest({ files: FILES.slice(1) }), files: observed(FILES.slice(1)) }, plan: 'rebuild', why: /digest/ },
  { name: 'a listed file is missing', obs: { exists: true, manifestText: manifest(), files: observed(FILES.slice(0, 3)) }, plan: 'rebuild', why: /missing files: aria_log_control/ },
  { name: 'an unlisted file is there', obs: { exists: true, manifestText: manifest(), files: [...observed(), { path: 'stray', size: 1 }] }, plan: 'rebuild', why: /stray is not in the manifest/ },
  { name: 'a file has another size (cut short)', obs: { exists: true, manifestText: manifest(), files: observed().map((f) => (f.path === 'ibdata1' ? { ...f, size: 4096 } : f)) }, plan: 'rebuild', why: /ibdata1 is 4096 bytes/ },
  { name: 'a file has other contents', obs: { exists: true, manifestText: manifest(), files: observed().map((f) => (f.path === 'ib_logfile0' ? { ...f, sha256: 'e'.repeat(64) } : f)) }, plan: 'rebuild', why: /ib_logfile0 does not match its checksum/ },
  { name: 'a binary log got in', obs: { exists: true, manifestText: manifest({}, WANT, [...FILES, { path: 'mysql-bin.000001', size: 1, sha256: 'f'.repeat(64) }]), files: observed([...FILES, { path: 'mysql-bin.000001', size: 1, sha256: 'f'.repeat(64) }]) }, plan: 'rebuild', why: /identity-bearing files: mysql-bin\.000001/ },
];

for (const c of CASES) {
  test(`planTemplate: ${c.name} → ${c.plan}`, () => {
    const p = planTemplate(c.obs, c.want ?? WANT);
    assert.equal(p.action, c.plan, JSON.stringify(p));
    if (p.action === 'rebuild') assert.match(p.why, c.why!);
    if (p.action === 'use') assert.equal(p.manifest.key, templateKey(WANT));
  });
}

const IDENTITY: Array<[string, boolean]> = [
  ['mysql-bin.000001', true], ['mysql-bin.index', true], ['node-relay-bin.000002', true], ['node-relay-bin.index', true],
  ['master.info', true], ['multi-master.info', true], ['relay-log.info', true], ['relay-log-foo.info', true], ['auto.cnf', true],
  ['xtrabackup_binlog_info', true], ['mariadb_backup_checkpoints', true], ['mysqld.pid', true], ['.openrds-initialized', true],
  ['ibdata1', false], ['ib_logfile0', false], ['aria_log_control', false], ['aria_log.00000001', false], ['mysql/gtid_slave_pos.ibd', false],
  ['mysql/user.frm', false], ['mysql_upgrade_info', false], ['ib_buffer_pool', false],
];
for (const [path, bad] of IDENTITY) {
  test(`identityFiles: ${path} ${bad ? 'is' : 'is not'} identity-bearing`, () => {
    assert.deepEqual(identityFiles([path]), bad ? [path] : []);
  });
}
