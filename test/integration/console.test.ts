/**
 * The web console in a real browser (headless Chromium via playwright-core) against the real
 * `serve` with real MariaDB: sign in, a password the policy refuses is shown under its field with
 * the API's own message, create an instance and see it reach RUNNING, open its page, see charts
 * with data points (metrics every second), create an account and a backup, delete with the name
 * typed. Every request the page makes is recorded: the secret is never in one. A host that is not
 * a secure context gets the notice instead of a sign-in. Screenshots: test-artifacts/console/.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot } from '../support/browser.js';
import { createParams, startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
let browser: Browser;
let page: Page;
/** Everything the page sent: URL, headers and body of every request. */
const sent: string[] = [];
let uuid = '';
const NAME = 'console-db';
/** Screenshot of the page, after checking that every form control on it has a label. */
const shot = async (name: string) => {
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((e) => !(e as HTMLInputElement).labels?.length && !e.getAttribute('aria-label') && !(e.textContent ?? '').trim() && (e as HTMLElement).offsetParent !== null)
    .map((e) => e.outerHTML.slice(0, 120)));
  assert.deepEqual(unlabelled, [], `controls without a label on ${name}`);
  await screenshot(page, 'console', name);
};

before(async () => {
  s = await startServer({ config: { metrics: { intervalMs: 1000, diskIntervalMs: 1000 } } });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('request', (r) => sent.push(`${r.method()} ${r.url()}\n${JSON.stringify(r.headers())}\n${r.postData() ?? ''}`));
});
after(async () => {
  await browser?.close();
  await s?.cleanup();
});

test('sign in with the key pair', async () => {
  await page.goto(`${s.url}/console?refresh=1000`);
  await page.getByLabel('AccessKeyId').fill(s.creds.AccessKeyId);
  await page.getByLabel('AccessKeySecret').fill(s.creds.AccessKeySecret);
  await shot('01-sign-in');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-testid=instances][data-loaded=true]').waitFor();
  await shot('02-instances-empty');
  // Kept for the tab only.
  assert.match(await page.evaluate(() => sessionStorage.getItem('openrds.console.creds') ?? ''), new RegExp(s.creds.AccessKeyId));
});

test('a wrong secret is refused with the API message', async () => {
  const other = await browser.newPage();
  await other.goto(`${s.url}/console`);
  await other.getByLabel('AccessKeyId').fill(s.creds.AccessKeyId);
  await other.getByLabel('AccessKeySecret').fill('not-the-secret');
  await other.getByRole('button', { name: 'Sign in' }).click();
  await other.getByText('SignatureDoesNotMatch').waitFor();
  assert.equal(await other.evaluate(() => sessionStorage.getItem('openrds.console.creds')), null);
  await other.close();
});

test('the keyboard alone: Tab walks the create form in reading order', async () => {
  await page.goto(`${s.url}/console?refresh=1000#/create`);
  await page.locator('select[name=PaasGoodsId] option').first().waitFor({ state: 'attached' });
  await page.getByLabel('Name').focus();
  const order: string[] = [];
  for (let i = 0; i < 11; i++) {
    order.push(await page.evaluate(() => (document.activeElement as HTMLInputElement).name || document.activeElement?.textContent || ''));
    await page.keyboard.press('Tab');
  }
  assert.deepEqual(order, ['InstanceName', 'RegionId', 'ArchitectureType', 'PaasGoodsId', 'DiskType', 'DiskValue', 'Password', 'VdcId', 'BasePipeId', 'Cancel', 'Create']);
  await page.goto(`${s.url}/console?refresh=1000#/instances`);
  await page.locator('[data-testid=instances][data-loaded=true]').waitFor();
});

test('the create form shows the password policy refusal under the Password field, in the API words', async () => {
  await page.getByRole('link', { name: 'Create instance' }).click();
  await page.getByLabel('Name').fill(NAME);
  // The spec list comes from DescribeAvailableDBConfig.
  await page.locator('select[name=PaasGoodsId] option').first().waitFor({ state: 'attached' });
  await page.getByLabel('root password').fill('short');
  await page.getByRole('button', { name: 'Create' }).click();
  const err = page.locator('.field[data-param=Password] .field-error');
  await err.filter({ hasText: /./ }).waitFor();
  const direct = await s.client.call('CreateDBInstance', createParams({ InstanceName: NAME, Password: 'short' }));
  assert.equal(direct.body.Code, 'InvalidParameter');
  assert.equal(await err.textContent(), `${direct.body.Message} (InvalidParameter)`);
  assert.equal(await page.getByLabel('root password').getAttribute('aria-invalid'), 'true');
  await shot('03-create-refused');
  // Nothing was created by either refusal.
  assert.deepEqual((await s.client.ok('DescribeDBInstances')).data, []);
});

test('create an instance and see it reach RUNNING on its page', async () => {
  await page.getByLabel('root password').fill('Console-Pass1');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/#\/instance\/[0-9a-f-]{36}$/);
  uuid = page.url().split('/').pop()!;
  await page.locator('[data-testid=tasks] li[data-status]').first().waitFor();
  await shot('04-instance-creating');
  await page.locator('.state [data-status=RUNNING]').waitFor({ timeout: 180_000 });
  await page.locator('[data-testid=tasks] li[data-status=FINISH]').waitFor({ timeout: 30_000 });
  const [inst] = (await s.client.ok('DescribeDBInstances', { InstanceUuid: uuid })).data;
  assert.equal(inst.Status, 'RUNNING');
  assert.equal(await page.getByTestId('address').textContent(), `${inst.IP}:${inst.Port}`);
  await shot('05-instance-overview');
});

test('the list shows it with a RUNNING badge', async () => {
  await page.getByRole('link', { name: '← Instances' }).click();
  const row = page.locator(`tr[data-uuid="${uuid}"]`);
  await row.locator('[data-status=RUNNING]').waitFor();
  assert.equal(await row.getByRole('link').textContent(), NAME);
  await shot('06-instances');
});

test('monitoring draws the six charts with data points', async () => {
  await page.goto(`${s.url}/console?refresh=1000#/instance/${uuid}/monitoring`);
  const charts = page.locator('.chart[data-metric]');
  await charts.first().waitFor();
  assert.equal(await charts.count(), 6);
  // Polls until the collector (every second here) has points for CPU; uPlot drew a canvas.
  await page.waitForFunction(() => Number(document.querySelector('.chart[data-metric=mysql_cpu_usage]')?.getAttribute('data-points') ?? 0) >= 2, undefined, { timeout: 90_000 });
  assert.ok(await page.locator('.chart[data-metric=mysql_cpu_usage] canvas').count() >= 1);
  await shot('07-monitoring-1h');
  await page.getByRole('button', { name: 'Last day' }).click();
  await page.waitForFunction(() => /period 60 s/.test(document.querySelector('.chart[data-metric=mysql_sessions]')?.parentElement?.textContent ?? ''), undefined, { timeout: 60_000 });
  await shot('07-monitoring-1d');
});

test('create an account; it is listed as read back from the engine', async () => {
  await page.getByRole('link', { name: 'Accounts' }).click();
  await page.getByLabel('Account name').fill('app1');
  await page.getByLabel('Password').fill('App1-Pass-2026');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('tr[data-account=app1]').waitFor();
  const { data } = await s.client.ok('DescribeDBAccount', { InstanceUuid: uuid });
  assert.ok(data.some((a: any) => a.AccountName === 'app1' && a.AccountType === 'Normal'));
  await shot('08-accounts');
});

test('parameters are listed with their running values', async () => {
  await page.getByRole('link', { name: 'Parameters' }).click();
  await page.locator('[data-testid=parameters] input[data-name=max_connections]').waitFor();
  const { data } = await s.client.ok('DescribeDBParameter', { InstanceUuid: uuid });
  const mc = data.Parameters.find((p: any) => p.Name === 'max_connections');
  assert.equal(await page.locator('input[data-name=max_connections]').inputValue(), mc.CurrentValue);
  await shot('09-parameters');
});

test('create a backup and see it finish; save a policy and read it back', async () => {
  await page.getByRole('link', { name: 'Backups' }).click();
  await page.getByLabel('Description').fill('from the console');
  await page.getByRole('button', { name: 'Create backup' }).click();
  await page.locator('tr[data-backup][data-status=finished]').waitFor({ timeout: 180_000 });
  const { data } = await s.client.ok('DescribeBackups', { InstanceUuid: uuid });
  assert.equal(data.length, 1);
  assert.equal(data[0].Status, 'finished');
  assert.equal(data[0].Desc, 'from the console');
  await page.getByLabel('Time slot').selectOption('03:00-04:00');
  await page.getByLabel('Monday').check();
  await page.getByLabel('Thursday').check();
  await page.getByLabel('On', { exact: true }).check();
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByText('Backup policy saved.').waitFor();
  const pol = await s.client.ok('DescribeDbBackupPolicy', { InstanceUuid: uuid });
  assert.deepEqual(pol.data.DataBackups, { TimeSlot: '03:00-04:00', DateList: ['1', '4'], Sign: 1 });
  await shot('10-backups');
});

test('delete needs the name typed, then the instance goes', async () => {
  await page.getByRole('link', { name: '← Instances' }).click();
  await page.getByRole('button', { name: `Delete ${NAME}` }).click();
  const confirm = page.getByRole('button', { name: 'Delete instance' });
  assert.equal(await confirm.isDisabled(), true);
  await page.getByTestId('confirm-input').fill(NAME.slice(0, -1));
  assert.equal(await confirm.isDisabled(), true);
  await page.getByTestId('confirm-input').fill(NAME);
  await shot('11-delete-confirm');
  await confirm.click();
  await s.client.waitStatus(uuid, 'gone', 120_000);
  await page.locator(`tr[data-uuid="${uuid}"]`).waitFor({ state: 'detached', timeout: 30_000 });
});

test('the secret never went to the server', () => {
  assert.ok(sent.length > 50, `only ${sent.length} requests recorded`);
  const secret = s.creds.AccessKeySecret;
  const leaks = sent.filter((r) => r.includes(secret) || r.includes(encodeURIComponent(secret)));
  assert.deepEqual(leaks, []);
  // Every API request was signed (and every one got an answer the page used above).
  assert.ok(sent.filter((r) => /\/(mysql|ccs)\/\?/.test(r)).every((r) => /Signature=/.test(r)));
});

test('outside a secure context the console says why instead of signing in', async () => {
  const port = new URL(s.url).port;
  const b = await launchBrowser([`--host-resolver-rules=MAP openrds.test 127.0.0.1`]);
  try {
    const p = await b.newPage({ viewport: { width: 1280, height: 800 } });
    await p.goto(`http://openrds.test:${port}/console`);
    await p.getByTestId('insecure').waitFor();
    assert.match(await p.getByTestId('insecure').textContent() ?? '', /HTTPS/);
    assert.equal(await p.getByLabel('AccessKeyId').count(), 0);
    await screenshot(p, 'console', '12-not-secure');
  } finally {
    await b.close();
  }
});
