import assert from 'node:assert/strict';
import { slotMove } from '../../src/domain/slotMove.ts';
import { slotsToRanges } from '../../src/domain/slotSet.ts';
import { after, before, describe, test } from 'node:test';
import { Cluster } from 'ioredis';
import { DomainError } from '../../src/domain/errors.ts';
import { countKeysInSlots } from '../../src/redis/countKeysInSlots.ts';
import { moveSlots } from '../../src/redis/moveSlots.ts';
import type { NodeAuth } from '../../src/redis/nodeAuth.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import { buildCluster, type BuiltNode } from '../helpers/buildCluster.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';

const PASSWORD = 'cluster-secret';
const MOVER: NodeAuth = { username: 'mover', password: 'mover-secret' };
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('moveSlots on nodes with requirepass + masterauth, and with an ACL user', () => {
  let set: RedisNodeSet;
  let a: BuiltNode, b: BuiltNode, c: BuiltNode;
  let masters: BuiltNode[];
  let addresses: string[];
  let cluster: Cluster;
  const auth: NodeAuth = { password: PASSWORD };
  const connections = new NodeConnections(auth);

  before(async () => {
    set = await startRedisNodes(3, { password: PASSWORD });
    addresses = set.nodes.map((n) => n.address);
    ({ masters } = await buildCluster(set.nodes, { masters: 3, replicasPerShard: 0, password: PASSWORD }));
    [a, b, c] = masters as [BuiltNode, BuiltNode, BuiltNode];
    for (const client of (await connections.getAll(addresses)).values()) {
      // Without scripting, so key listing falls back from the Lua script to pipelines.
      await client.call('ACL', 'SETUSER', MOVER.username!, 'on', `>${MOVER.password}`, '~*', '&*', '+@all', '-@scripting');
    }
    cluster = new Cluster(set.nodes.map((n) => ({ host: n.host, port: n.port })), { redisOptions: { password: PASSWORD } });
    await Promise.all(range(0, 1999).map((i) => cluster.set(`key:${i}`, `value-${i}`)));
  });
  after(async () => {
    cluster?.disconnect();
    await connections.closeAll();
    await set?.stop();
  });

  async function assertKeysReadable(): Promise<void> {
    const values = await Promise.all(range(0, 1999).map((i) => cluster.get(`key:${i}`)));
    assert.deepEqual(values.flatMap((v, i) => (v === `value-${i}` ? [] : [i])), []);
  }

  test('the password goes inside MIGRATE (AUTH)', async () => {
    const slots = range(0, 499);
    const keys = await countKeysInSlots(await connections.get(a.address), slotsToRanges(slots));
    const result = await moveSlots(connections, [slotMove(a, b, slotsToRanges(slots))], masters, { auth });
    assert.deepEqual(result, { slotsMoved: 500, slotsAlreadyDone: 0, keysMoved: keys });
    await assertClusterSettled(addresses, auth);
    await assertKeysReadable();
  });

  test('an ACL user (without scripting) goes inside MIGRATE (AUTH2 user password)', async () => {
    const asMover = new NodeConnections(MOVER);
    try {
      const slots = range(0, 249);
      const keys = await countKeysInSlots(await asMover.get(b.address), slotsToRanges(slots));
      const result = await moveSlots(asMover, [slotMove(b, c, slotsToRanges(slots))], masters, { auth: MOVER });
      assert.deepEqual(result, { slotsMoved: 250, slotsAlreadyDone: 0, keysMoved: keys });
    } finally {
      await asMover.closeAll();
    }
    await assertClusterSettled(addresses, auth);
    await assertKeysReadable();
  });

  test('wrong credentials for MIGRATE fail clearly, lose nothing, and a rerun with the right ones completes', async () => {
    const slots = range(0, 99);
    const keys = await countKeysInSlots(await connections.get(c.address), slotsToRanges(slots));
    await assert.rejects(
      moveSlots(connections, [slotMove(c, a, slotsToRanges(slots))], masters, { auth: { password: 'wrong' } }),
      (err) => err instanceof DomainError && err.code === 'migrate_failed' && /WRONGPASS|invalid username-password/i.test(err.message),
    );
    await assertKeysReadable(); // the open slot still serves every key through ASK

    const result = await moveSlots(connections, [slotMove(c, a, slotsToRanges(slots))], masters, { auth });
    assert.equal(result.keysMoved, keys);
    assert.equal(result.slotsMoved + result.slotsAlreadyDone, 100);
    await assertClusterSettled(addresses, auth);
    await assertKeysReadable();
  });
});
