/** A page of a list: the items under their plural name, and the token of the next page (null on the last). */
export type PageView<Name extends string, Item> = { [K in Name]: Item[] } & { nextPageToken: string | null };
