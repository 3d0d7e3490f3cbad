import { z } from 'zod';
import { DomainError } from '../domain/errors.ts';
import { insertToken, deleteToken, listTokens as listTokenRecords } from '../store/tokens.ts';
import { isUuid } from '../store/values.ts';
import { generateToken, hashToken } from './auth.ts';
import { requireRole } from './authorize.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { DEFAULT_PAGE_SIZE, pageQuery } from './pagination.ts';
import { parseInput } from './parseInput.ts';
import type { PageView } from '../contract/pageView.ts';
import type { CreatedTokenView, TokenView } from '../contract/tokenView.ts';
import { toTokenView } from './toViews.ts';

const createTokenInput = z.strictObject({
  name: z.string().min(1, 'must not be empty').max(63, 'must be at most 63 characters')
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'must start with a letter or digit and hold only letters, digits, spaces, ".", "_" and "-"'),
  role: z.enum(['admin', 'operator', 'viewer'], 'must be "admin", "operator" or "viewer"'),
});
const listTokensInput = z.strictObject(pageQuery);

/**
 * A new API token with a role: `viewer` reads, `operator` also changes clusters, `admin` also
 * manages tokens. The answer carries the secret once; only its hash is stored.
 */
export async function createToken(deps: ServiceDeps, caller: Caller, input: unknown): Promise<CreatedTokenView> {
  requireRole(caller, 'admin');
  const req = parseInput(createTokenInput, input);
  const token = generateToken();
  const record = await insertToken(deps.db, { name: req.name, hash: hashToken(token), role: req.role });
  return { ...toTokenView(record), token };
}

/** The API tokens, oldest first, a page at a time. */
export async function listTokens(deps: ServiceDeps, caller: Caller, query: unknown): Promise<PageView<'tokens', TokenView>> {
  requireRole(caller, 'admin');
  const q = parseInput(listTokensInput, query);
  const page = await listTokenRecords(deps.db, { pageSize: q.pageSize ?? DEFAULT_PAGE_SIZE, pageToken: q.pageToken ?? null });
  return { tokens: page.items.map(toTokenView), nextPageToken: page.nextPageToken };
}

/**
 * Revokes a token at once (its next request to this process is refused; other processes refuse it
 * within a second, their token cache's lifetime). The last admin token stored is kept
 * unless `SLOTSMITH_ADMIN_TOKEN` is set, so the service always has an administrator.
 */
export async function revokeToken(deps: ServiceDeps, caller: Caller, id: unknown): Promise<void> {
  requireRole(caller, 'admin');
  const notFound = () => new DomainError('not_found', 'token_not_found', `token "${String(id)}" does not exist`);
  if (typeof id !== 'string' || !isUuid(id)) throw notFound();
  if (!(await deleteToken(deps.db, id, !deps.adminTokenFromEnv))) throw notFound();
  deps.tokenRevoked();
}
