import { checkCluster } from '../../../service/checkCluster.ts';
import { adoptCluster } from '../../../service/adoptCluster.ts';
import { createCluster, getCluster, listClusters } from '../../../service/clusters.ts';
import { setHealing } from '../../../service/healing.ts';
import { releaseCluster } from '../../../service/releaseCluster.ts';
import { failover } from '../../../service/failover.ts';
import { fixCluster } from '../../../service/fixCluster.ts';
import { rebalance, reshard } from '../../../service/moveSlots.ts';
import { addNode, removeNode } from '../../../service/nodes.ts';
import { moveReplica } from '../../../service/replicas.ts';
import { sendView } from '../sendView.ts';
import { authenticated, bodyOf, changeRoute, once, sendOperation, type RestContext } from '../restContext.ts';
import type { Route } from '../routeTable.ts';

/** `/v1/clusters` and everything under it. */
export function clusterRoutes(ctx: RestContext): Route[] {
  const { deps } = ctx;
  return [
    // One resource, two ways in: `nodes` creates a cluster (202, an operation), `adopt` takes a running one under management (201, the cluster).
    authenticated(ctx, 'POST', '/v1/clusters', async (req, res, caller) => {
      const body = bodyOf(req);
      if (typeof body === 'object' && body !== null && 'adopt' in body) {
        const adopted = await once(ctx, req, caller, () => adoptCluster(deps, caller, body));
        res.status(201).location(`/v1/clusters/${adopted.name}`).json(adopted);
        return;
      }
      const result = await once(ctx, req, caller, () => createCluster(deps, caller, body));
      if ('dryRun' in result) res.status(200).json(result);
      else sendOperation(res, result);
    }),
    authenticated(ctx, 'GET', '/v1/clusters', async (req, res, caller) => {
      res.json(await listClusters(deps, caller, req.query));
    }),
    authenticated(ctx, 'GET', '/v1/clusters/{name}', async (req, res, caller) => {
      sendView(res, await getCluster(deps, caller, req.params.name, req.query));
    }),
    authenticated(ctx, 'DELETE', '/v1/clusters/{name}', async (req, res, caller) => {
      await once(ctx, req, caller, () => releaseCluster(deps, caller, req.params.name, req.query));
      res.status(204).end();
    }),
    changeRoute(ctx, 'POST', '/v1/clusters/{name}/reshard', (req, caller) => reshard(deps, caller, req.params.name, bodyOf(req))),
    changeRoute(ctx, 'POST', '/v1/clusters/{name}/rebalance', (req, caller) => rebalance(deps, caller, req.params.name, bodyOf(req))),
    changeRoute(ctx, 'POST', '/v1/clusters/{name}/nodes', (req, caller) => addNode(deps, caller, req.params.name, bodyOf(req))),
    // The node is an id or a url-encoded host:port; a dry run is `?dryRun=true`.
    changeRoute(ctx, 'DELETE', '/v1/clusters/{name}/nodes/{node}', (req, caller) => removeNode(deps, caller, req.params.name, req.params.node, req.query)),
    changeRoute(ctx, 'POST', '/v1/clusters/{name}/replicas', (req, caller) => moveReplica(deps, caller, req.params.name, bodyOf(req))),
    changeRoute(ctx, 'POST', '/v1/clusters/{name}/failover', (req, caller) => failover(deps, caller, req.params.name, bodyOf(req))),
    changeRoute(ctx, 'POST', '/v1/clusters/{name}/fix', (req, caller) => fixCluster(deps, caller, req.params.name, bodyOf(req))),
    authenticated(ctx, 'PUT', '/v1/clusters/{name}/healing', async (req, res, caller) => {
      res.json(await setHealing(deps, caller, req.params.name, bodyOf(req)));
    }),
    authenticated(ctx, 'GET', '/v1/clusters/{name}/check', async (req, res, caller) => {
      res.json(await checkCluster(deps, caller, req.params.name));
    }),
  ];
}
