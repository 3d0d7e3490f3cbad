import { compareVersions, describeServer, type ServerInfo } from './serverCapabilities.ts';

/** Redis releases before the RDB format 12 of Redis 7.4, whose DUMP payloads Valkey (forked from 7.2) reads. */
const REDIS_DUMPS_VALKEY_READS_BELOW = '7.4.0';

/**
 * Whether `target` can `RESTORE` what `source` sends with `MIGRATE` (a DUMP payload carries the
 * RDB format version, and a server refuses a newer one: "DUMP payload version or checksum are
 * wrong"). Measured here: Redis 7.0 -> Redis 8.6 and -> Valkey 9.1 work; Valkey 9.1 -> Redis 7.0 or
 * 8.6, and Redis 8.6 -> Redis 7.0 or Valkey 9.1, are refused. So: the same flavour at the same or a
 * newer major.minor, or a Redis older than 7.4 into Valkey. Conservative: a downgrade that happens
 * to share a format is refused too.
 *
 * @example canReadDumpsOf({ flavour: 'redis', version: '7.0.15' }, { flavour: 'valkey', version: '9.1.2' }) // false
 */
export function canReadDumpsOf(target: ServerInfo, source: ServerInfo): boolean {
  const minor = (v: string) => v.split('.').slice(0, 2).join('.');
  if (target.flavour === source.flavour) return compareVersions(minor(target.version), minor(source.version)) >= 0;
  return source.flavour === 'redis' && target.flavour === 'valkey' && compareVersions(source.version, REDIS_DUMPS_VALKEY_READS_BELOW) < 0;
}

/** Why keys cannot move from `source` to `target`, in one line. */
export function dumpIncompatibility(sourceAddress: string, source: ServerInfo, targetAddress: string, target: ServerInfo): string {
  return `keys cannot move from ${sourceAddress} (${describeServer(source)}) to ${targetAddress} (${describeServer(target)}): ` +
    'the target cannot read the DUMP format of the source (an older or other server cannot load a newer format)';
}
