/** A token as callers see it: never its secret (shown once, at creation) nor its hash. */
export interface TokenView {
  id: string;
  name: string;
  role: 'admin' | 'operator' | 'viewer';
  createdAt: string;
  lastUsedAt: string | null;
}

/** A new token with its secret, which is shown only in this answer. */
export type CreatedTokenView = TokenView & { token: string };
