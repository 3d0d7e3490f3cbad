import { DomainError } from '../domain/errors.ts';
import { copyFunctionLibraries, readFunctionLibraries } from '../redis/functions.ts';
import type { ExecutorsOf, StepExecutor } from './stepContext.ts';
import { StepFailure } from './stepFailure.ts';

/**
 * Copies the cluster's function libraries to nodes about to serve slots: the libraries most of
 * `from` hold (the majority, so one drifted node does not spread its own) go to each target that
 * holds none; a target with the same ones is left alone, one with different ones fails the step
 * naming both sets, before it serves any slot.
 */
const copyFunctions: StepExecutor<'copy_functions'> = async (ctx) => {
  const { from, to } = ctx.step.params;
  // The targets vote too: when every master gets slots (a fix), they are all the cluster there is.
  const sources = (await Promise.all(from.map(async (address) => {
    try {
      const client = await ctx.connections.get(address);
      return [{ address, client, libraries: await readFunctionLibraries(client) }];
    } catch {
      return [];
    }
  }))).flat();
  if (sources.length === 0) throw new StepFailure('nodes_unreachable', `no node of ${from.join(', ')} answered, so the cluster's function libraries are unknown`);
  const counts = new Map<string, number>();
  for (const s of sources) counts.set(s.libraries.digest, (counts.get(s.libraries.digest) ?? 0) + 1);
  const [digest] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
  const source = sources.find((s) => s.libraries.digest === digest)!;
  const copied: string[] = [];
  for (const address of to) {
    try {
      if (await copyFunctionLibraries(source.client, await ctx.connections.get(address))) copied.push(address);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'functions_differ') throw new StepFailure('functions_differ', err.message, [{ address, reason: 'holds other function libraries' }], { cause: err });
      throw err;
    }
  }
  const names = source.libraries.names.join(', ');
  if (source.libraries.names.length === 0) return { detail: 'the cluster holds no function libraries' };
  return { detail: copied.length > 0 ? `copied ${names} from ${source.address} to ${copied.join(', ')}` : `${to.join(', ')} already hold ${names}` };
};

/** The executor of the step that gives new masters the cluster's functions. */
export const functionExecutors: ExecutorsOf<'copy_functions'> = { copy_functions: copyFunctions };
