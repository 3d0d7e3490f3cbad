import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig } from '../../src/config.ts';

test('defaults match the README table', () => {
  const c = readConfig({}, []);
  assert.equal(c.port, 8080);
  assert.equal(c.grpcPort, 50051);
  assert.equal(c.dataDir, './.data');
  assert.equal(c.databaseUrl, null);
  assert.equal(c.adminToken, null);
  assert.deepEqual([...c.roles].sort(), ['grpc', 'observer', 'rest', 'worker']);
  assert.equal(c.leaseSeconds, 15);
  assert.equal(c.createReadyTimeoutSeconds, 60);
});

test('roles come from the flag before the environment', () => {
  assert.deepEqual([...readConfig({ SLOTSMITH_ROLES: 'worker' }, []).roles], ['worker']);
  assert.deepEqual([...readConfig({ SLOTSMITH_ROLES: 'worker' }, ['--roles=rest,grpc']).roles], ['rest', 'grpc']);
});

test('bad values are refused naming the variable', () => {
  assert.throws(() => readConfig({ PORT: 'eighty' }, []), /PORT must be an integer/);
  assert.throws(() => readConfig({ LEASE_SECONDS: '0' }, []), /LEASE_SECONDS/);
  assert.throws(() => readConfig({ SLOTSMITH_ROLES: 'api' }, []), /unknown role "api"/);
  assert.throws(() => readConfig({ LOG_LEVEL: 'loud' }, []), /LOG_LEVEL/);
});
