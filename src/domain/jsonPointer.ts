/**
 * Escapes a key for use as one JSON pointer segment (RFC 6901 section 3: `~` becomes `~0`, `/`
 * becomes `~1`), for field errors that point into a request.
 *
 * @example escapePointer('a/b~c') // 'a~1b~0c'
 * @example pointerOf(['weights', '10.0.0.1:7000']) // '/weights/10.0.0.1:7000'
 */
export function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The JSON pointer of a path of keys and indexes (`''` for the whole document). */
export function pointerOf(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${escapePointer(String(p))}`).join('');
}
