import { AUTH_ERRORS, RBAC_ERRORS } from '@pylon/core';
import type { Surface } from './context.js';
import type { AnyRoute } from './route-table.js';

/**
 * The error codes routes declare in their OpenAPI responses, read back and checked against each
 * surface's catalogue at start-up (route-table.ts's mountRoutes calls checkDeclaredErrors).
 */

const CATALOGUES: Record<Surface, Readonly<Record<string, { status: number }>>> = {
  auth: AUTH_ERRORS,
  rbac: RBAC_ERRORS,
};
/**
 * A code as the surface's wire can show it. Shared middleware (the session resolver's CSRF check,
 * the rate limiter) throws identity codes, which the RBAC surface renders in snake_case
 * (http/errors.ts), so `csrf_failed` is a real RBAC answer though only CSRF_FAILED is catalogued.
 */
export function catalogued(surface: Surface, code: string): { status: number } | undefined {
  if (Object.hasOwn(CATALOGUES[surface], code)) return CATALOGUES[surface][code];
  const upper = code.toUpperCase();
  return surface === 'rbac' && Object.hasOwn(AUTH_ERRORS, upper) ? CATALOGUES.auth[upper] : undefined;
}
const CODE_SHAPE: Record<Surface, RegExp> = {
  auth: /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/,
  rbac: /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/,
};

/**
 * The error codes a route declares, read from its 4xx/5xx response descriptions. The OpenAPI
 * document already names them there for people (`404: { description: 'app_not_found, or
 * nothing_pending' }`), so reading them back keeps those descriptions as they are and avoids a second,
 * typed list that could drift from the text. A description starts with its codes: the words before
 * the first `:`, `;` or `—`, parentheses removed, split at commas and "or"/"and"; each piece's first
 * word is a code when it has the surface's shape (UPPER_SNAKE on identity, snake_case on RBAC) and
 * either contains an underscore or is a one-word code of that surface's catalogue. The first piece
 * that does not start with one ends the list, so prose ("HTML: expired", "A page: …") declares nothing.
 */
export function declaredErrors(
  surface: Surface,
  route: Pick<AnyRoute, 'responses'>,
): { status: number; code: string }[] {
  const declared: { status: number; code: string }[] = [];
  for (const [key, response] of Object.entries(route.responses)) {
    const status = Number(key);
    if (status < 400) continue;
    const head = response.description.replace(/\([^)]*\)/g, ' ').split(/[:;—]/)[0] ?? '';
    for (const piece of head.split(/\s*,\s*(?:(?:or|and)\s+)?|\s+(?:or|and)\s+/)) {
      const word = piece.trim().split(/\s+/)[0] ?? '';
      const isCode = CODE_SHAPE[surface].test(word) && (word.includes('_') || catalogued(surface, word));
      if (!isCode) break;
      declared.push({ status, code: word });
    }
  }
  return declared;
}

/**
 * Start-up check: every code a route declares exists in its surface's catalogue and is listed under
 * the status the catalogue gives it, so the OpenAPI document cannot promise an answer the server
 * never sends. Throws (and so stops the server from starting) on the first mismatch.
 */
export function checkDeclaredErrors(surface: Surface, route: AnyRoute): void {
  const where = `${route.method.toUpperCase()} ${route.path}`;
  if ((route.handler === undefined) === (route.answer === undefined))
    throw new Error(`${where} needs exactly one of handler and answer`);
  if (route.answer && route.query) throw new Error(`${where} answers from plain inputs, which have no query`);
  if (route.errorShape === 'oauth') return;
  for (const { status, code } of declaredErrors(surface, route)) {
    const spec = catalogued(surface, code);
    if (!spec)
      throw new Error(`${where} declares ${code} under ${status}, which is no ${surface} error code`);
    if (spec.status !== status) {
      throw new Error(
        `${where} declares ${code} under ${status}, but ${code} is answered with ${spec.status}`,
      );
    }
  }
}
