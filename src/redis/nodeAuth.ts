/**
 * Credentials for talking to a Redis node (`AUTH [username] password`). Structurally identical to
 * `NodeAuth` in `store/records.ts`; re-declared here because `redis/` may import only `domain/`.
 */
export interface NodeAuth {
  readonly username?: string;
  readonly password?: string;
}
