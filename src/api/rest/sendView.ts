import type { Response } from 'express';

/** The JSON text of each view already sent; views are never changed once made, so the text stays true. */
const texts = new WeakMap<object, string>();

/**
 * Sends a view as JSON, serialising each view object once: the hot reads answer the same object
 * (from the service's read cache) to many callers in a row.
 */
export function sendView(res: Response, view: object): void {
  let text = texts.get(view);
  if (text === undefined) {
    text = JSON.stringify(view);
    texts.set(view, text);
  }
  res.type('application/json').send(text);
}
