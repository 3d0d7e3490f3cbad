import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseMigration } from '../../src/domain/chooseMigration.ts';
import { canReadDumpsOf } from '../../src/domain/dumpCompatibility.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { capabilitiesOf, type ServerInfo } from '../../src/domain/serverCapabilities.ts';
import { slotMove } from '../../src/domain/slotMove.ts';

const valkey9: ServerInfo = { flavour: 'valkey', version: '9.1.2' };
const valkey8: ServerInfo = { flavour: 'valkey', version: '8.1.4' };
const redis84: ServerInfo = { flavour: 'redis', version: '8.4.0' };
const redis82: ServerInfo = { flavour: 'redis', version: '8.2.1' };
const redis7: ServerInfo = { flavour: 'redis', version: '7.0.15' };

const a = { id: 'a'.repeat(40), address: '10.0.0.1:7000' };
const b = { id: 'b'.repeat(40), address: '10.0.0.2:7000' };
const move = [slotMove(a, b, [[0, 99]])];
const servers = (from: ServerInfo | null, to: ServerInfo | null) => (id: string) => (id === a.id ? from : to);
const refusedWith = (code: string) => (err: unknown) => err instanceof DomainError && err.code === code;

describe('which engine moves the slots', () => {
  test('atomic slot migration starts at Valkey 9.0 and Redis 8.4', () => {
    assert.equal(capabilitiesOf(valkey9).atomicSlotMigration, 'valkey');
    assert.equal(capabilitiesOf(valkey8).atomicSlotMigration, null);
    assert.equal(capabilitiesOf(redis84).atomicSlotMigration, 'redis');
    assert.equal(capabilitiesOf(redis82).atomicSlotMigration, null);
    assert.equal(capabilitiesOf({ flavour: 'redis', version: '8.10.0' }).atomicSlotMigration, 'redis');
  });

  test('auto is atomic when both ends speak the same dialect, else keys, and says why', () => {
    assert.deepEqual(chooseMigration('auto', move, servers(valkey9, valkey9)).kind, 'atomic');
    const redis = chooseMigration('auto', move, servers(redis84, redis84));
    assert.equal(redis.kind === 'atomic' && redis.dialect, 'redis');
    const old = chooseMigration('auto', move, servers(valkey8, valkey9));
    assert.equal(old.kind, 'keys');
    assert.match(old.reason, /10\.0\.0\.1:7000 runs Valkey 8\.1\.4, without atomic slot migration/);
    assert.equal(chooseMigration('auto', move, servers(null, valkey9)).kind, 'keys', 'an unknown server counts as lacking it');
    assert.equal(chooseMigration('keys', move, servers(valkey9, valkey9)).kind, 'keys');
    assert.equal(chooseMigration('auto', [], servers(valkey9, valkey9)).kind, 'keys');
  });

  test('atomic where an end lacks it is a 409; a rate limit needs the key engine', () => {
    assert.throws(() => chooseMigration('atomic', move, servers(redis7, redis7)), refusedWith('atomic_migration_unsupported'));
    assert.throws(() => chooseMigration('atomic', move, servers(valkey9, redis84)), refusedWith('atomic_migration_unsupported'));
    assert.equal(chooseMigration('auto', move, servers(valkey9, valkey9), { maxKeysPerSecond: 100 }).kind, 'keys');
    assert.throws(() => chooseMigration('atomic', move, servers(valkey9, valkey9), { maxKeysPerSecond: 100 }), refusedWith('invalid_argument'));
  });

  test('keys never move toward a server that cannot read the source\'s DUMP format', () => {
    assert.equal(canReadDumpsOf(valkey9, redis7), true);
    assert.equal(canReadDumpsOf(redis84, redis7), true);
    assert.equal(canReadDumpsOf(redis7, valkey9), false);
    assert.equal(canReadDumpsOf(valkey9, redis84), false);
    assert.equal(canReadDumpsOf(redis7, redis84), false);
    assert.equal(canReadDumpsOf(valkey9, valkey8), true);
    assert.throws(() => chooseMigration('auto', move, servers(valkey9, redis7)), refusedWith('dump_format_incompatible'));
    assert.throws(() => chooseMigration('keys', move, servers(redis84, redis7)), refusedWith('dump_format_incompatible'));
    assert.equal(chooseMigration('keys', move, servers(redis7, valkey9)).kind, 'keys');
  });
});
