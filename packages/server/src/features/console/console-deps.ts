import { PylonError } from '@pylon/core';
import { z } from 'zod';
import type { AppContext, Services } from '../../http/context.js';
import { html, type SafeHTML } from '../../pages/html.js';
import type { ConsoleAPI } from './api.js';
import { passesConsoleCSRF } from './csrf.js';
import { renderConsole } from './layout.js';

/** What a page reports after a form: a notice, or the API's refusal. */
export interface Outcome {
  notice?: string | SafeHTML;
  error?: string;
}

/** Renders a page again, with the outcome of a form, under a status. */
export type PageRenderer = (c: AppContext, outcome?: Outcome, status?: number) => Promise<Response>;

export interface ConsoleDeps {
  services: Services;
  api: ConsoleAPI;
  /** A form body: the page's CSRF token plus the given fields. */
  form<T extends z.ZodRawShape>(shape: T): z.ZodObject<T & { csrf: z.ZodOptional<z.ZodString> }>;
  /**
   * A form post's handler: refuses a post without the page's CSRF token or from another origin
   * (403, nothing done), runs the action, and shows the page again with the API's refusal when
   * the action was refused.
   */
  action<B extends { csrf?: string | undefined }>(
    page: PageRenderer,
    run: (c: AppContext, body: B) => Promise<Response>,
  ): (c: AppContext, input: { body: B }) => Promise<Response>;
}

export function consoleDeps(services: Services, api: ConsoleAPI): ConsoleDeps {
  return {
    services,
    api,
    form: (shape) => z.object({ ...shape, csrf: z.string().max(100).optional() }),
    action:
      (page, run) =>
      async (c, { body }) => {
        if (!passesConsoleCSRF(c, services, body.csrf)) {
          return renderConsole(c, {
            title: 'Refused',
            place: { section: 'orgs' },
            status: 403,
            error: 'This form expired or was sent from another site; nothing was changed.',
            body: html`<section><p><a href="${c.req.path.replace(/\/[^/]+$/, '')}">Reload the page</a> and try again.</p></section>`,
          });
        }
        try {
          return await run(c, body);
        } catch (error) {
          if (!(error instanceof PylonError)) throw error;
          return page(c, { error: `${error.message} (${error.code})` }, error.status);
        }
      },
  };
}
