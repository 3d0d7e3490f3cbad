import type { StepExecutors } from '../../src/worker/stepContext.ts';

/**
 * An executor table for the step loop's tests: every kind succeeds with "<kind> done" unless
 * overridden. It lists every kind on purpose: `StepExecutors` is a complete record, so this
 * object stops compiling when a kind is added without an executor, like the worker's own table.
 */
export function fakeExecutors(overrides: Partial<StepExecutors> = {}): StepExecutors {
  const done = (kind: string) => async () => ({ detail: `${kind} done` });
  return {
    check_nodes: done('check_nodes'),
    tune_nodes: done('tune_nodes'),
    set_master_auth: done('set_master_auth'),
    copy_functions: done('copy_functions'),
    set_config_epochs: done('set_config_epochs'),
    assign_slots: done('assign_slots'),
    meet_nodes: done('meet_nodes'),
    assign_replicas: done('assign_replicas'),
    wait_ready: done('wait_ready'),
    restore_config: done('restore_config'),
    check_cluster: done('check_cluster'),
    move_slots: done('move_slots'),
    wait_converged: done('wait_converged'),
    cover_slots: done('cover_slots'),
    close_open_slots: done('close_open_slots'),
    restore_settings: done('restore_settings'),
    check_new_node: done('check_new_node'),
    meet_new_node: done('meet_new_node'),
    wait_known: done('wait_known'),
    replicate_nodes: done('replicate_nodes'),
    forget_node: done('forget_node'),
    failover: done('failover'),
    wait_topology: done('wait_topology'),
    release_new_node: done('release_new_node'),
    record_slots: done('record_slots'),
    hold_replica_migration: done('hold_replica_migration'),
    restore_replica_migration: done('restore_replica_migration'),
    ...overrides,
  };
}
