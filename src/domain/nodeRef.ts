/**
 * A node as plans, steps and views name it: its 40-character cluster node id and the `host:port`
 * slotsmith connects to (its address in the cluster's spec when it has one, else the `ip:port` it
 * announces). The one node-reference shape of the code base.
 *
 * @example { id: '07c37dfeb235213a872192d90877d0cd55635b91', address: '10.0.0.1:7000' }
 */
export interface NodeRef {
  readonly id: string;
  readonly address: string;
}

/** A plain copy of a node reference (drops any extra fields a wider object carries). */
export function nodeRefOf(node: NodeRef): NodeRef {
  return { id: node.id, address: node.address };
}
