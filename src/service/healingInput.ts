import { z } from 'zod';
import type { HealingPolicy } from '../domain/healingPolicy.ts';

/** The `healing` object of a create, an adopt and `PUT /v1/clusters/{name}/healing`; what is left out is off. */
export const healingInput = z.strictObject({
  replicaMigration: z.boolean().optional(),
  failover: z.strictObject({
    afterSeconds: z.number().int('must be an integer').min(1, 'must be at least 1').max(86_400, 'must be at most 86400'),
    takeover: z.boolean().optional(),
  }).nullable().optional(),
  forgetAfterSeconds: z.number().int('must be an integer').min(10, 'must be at least 10').max(30 * 86_400, 'must be at most 2592000').nullable().optional(),
});

/** A parsed `healing` object as the policy it stands for. */
export function toHealingPolicy(input: z.output<typeof healingInput> | undefined): HealingPolicy {
  return {
    replicaMigration: input?.replicaMigration ?? false,
    failover: input?.failover ? { afterSeconds: input.failover.afterSeconds, takeover: input.failover.takeover ?? false } : null,
    forgetAfterSeconds: input?.forgetAfterSeconds ?? null,
  };
}

