/**
 * Issue 11, defect 9, through the real API server with a hand-written provisioner: a wildcard
 * listener of another server (a system MariaDB on 0.0.0.0:3306) on the instance port makes the
 * create answer InvalidParameter naming it, with nothing created; another ServicePort works.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startApiApp, type ApiApp } from '../support/api-app.js';
import { BASIC_1C2G } from '../support/harness.js';

let a: ApiApp;
before(async () => { a = await startApiApp(); });
after(async () => { await a.close(); });

const params = (over: Record<string, unknown> = {}) => ({
  RegionId: 'CN_Beijing_A', VdcId: 'vdc-default', BasePipeId: 'pipe-default', InstanceName: 'wild', PaasGoodsId: BASIC_1C2G,
  DiskType: 'ssd_disk', DiskValue: 100, ...over,
});

{
  const ip = '0.0.0.0'; // how Provisioner.listeners reports both 0.0.0.0 and [::]
  test(`a foreign listener on ${ip}:3306 refuses a create on 3306 (InvalidParameter, nothing created); port 3307 is fine`, async () => {
    a.provisioner.hostListeners = [{ ip, port: 3306 }];
    try {
      const before = await a.snapshot();
      const r = await a.call('CreateDBInstance', params());
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.Code, 'InvalidParameter');
      assert.match(r.body.Message, /^invalid parameter ServicePort: no address can be allocated on port 3306: a server outside openrds listens on 0\.0\.0\.0:3306/);
      assert.match(r.body.Message, /stop that server/);
      assert.deepEqual(await a.snapshot(), before, 'nothing was created');
      const ok = await a.call('CreateDBInstance', params({ ServicePort: 3307 }));
      assert.equal(ok.body.Code, 'Success', ok.text);
    } finally {
      a.provisioner.hostListeners = [];
    }
  });
}
