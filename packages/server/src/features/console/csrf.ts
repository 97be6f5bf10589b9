import type { AppContext, Services } from '../../http/context.js';
import { formCSRF } from '../../pages/form-csrf.js';

/** The console's double-submit token (its own cookie, as the account and invite pages have theirs). */
const CONSOLE_CSRF = formCSRF('pylon_console_csrf', { reuse: true });

/** The token for this page's forms: the browser's existing one, else a new one (set as a cookie). */
export function consoleCSRFToken(c: AppContext, services: Services): string {
  return CONSOLE_CSRF.token(c, services);
}

/**
 * A console form post is accepted only with the page's token and from a trusted origin (Origin, or
 * failing that Referer, in PYLON_TRUSTED_ORIGINS), the same two checks as the other hosted forms.
 */
export function passesConsoleCSRF(c: AppContext, services: Services, sent: string | undefined): boolean {
  return CONSOLE_CSRF.passes(c, services, sent);
}
