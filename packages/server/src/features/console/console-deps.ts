import { PylonError } from '@pylon/core';
import { z } from 'zod';
import type { AppContext, OrgSummary, Services } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute, type Route, type RouteResponse } from '../../http/route-table.js';
import { html, type SafeHTML } from '../../pages/html.js';
import { postedText } from '../../pages/posted-fields.js';
import { shownOnceOf } from '../../pages/shown-once.js';
import type { DeploymentAdmins } from '../rbac/deployment-admin.js';
import type { ConsoleAPI } from './api.js';
import { passesConsoleCSRF } from './csrf.js';
import { type ConsolePage, type ConsolePlace, renderConsole, renderRefusal } from './layout.js';

/** What a page reports after a form: a notice, or the API's refusal. */
export interface Outcome {
  notice?: string | SafeHTML;
  error?: string;
  /** A refused form's text fields as posted (never its CSRF token), to fill the form again. */
  posted?: Readonly<Record<string, string>>;
}

/** The value a form field had when its post was refused (or nothing). */
export const postedValue = (outcome: Outcome, name: string): string => outcome.posted?.[name] ?? '';

/** Renders a page again, with the outcome of a form, under a status. */
export type PageRenderer = (c: AppContext, outcome?: Outcome, status?: number) => Promise<Response>;

/** The OpenAPI answers of a console form post. */
const FORM_RESPONSES = {
  200: { description: 'HTML: the page again, with the API’s refusal' },
  303: { description: 'Done: to the outcome page (`/shown/{id}`), which a reload cannot post again' },
  400: { description: 'HTML: the page again, saying which field the form’s own checks refused' },
  403: { description: 'HTML: the form lacks the page’s CSRF token or came from another site' },
};

export interface ConsoleDeps {
  services: Services;
  api: ConsoleAPI;
  /** A page with the navigation this viewer may follow (Deployment for deployment admins only). */
  render(c: AppContext, page: ConsolePage): Promise<Response>;
  /** Run a page; a PylonError from the API it calls becomes a refusal page, anything else propagates. */
  guarded(c: AppContext, place: ConsolePlace, run: () => Promise<Response>): Promise<Response>;
  /**
   * The org of the console path (`:id`) made the request's org, as under `/o/{orgId}`, so the RBAC
   * routes a page calls act on it; an org that does not exist is `org_not_found`.
   */
  enterOrg(c: AppContext): Promise<OrgSummary>;
  /** A form body: the page's CSRF token plus the given fields. */
  form<T extends z.ZodRawShape>(shape: T): z.ZodObject<T & { csrf: z.ZodOptional<z.ZodString> }>;
  /**
   * A console form's route: a POST of `body` that refuses a post without the page's CSRF token or
   * from another origin (403, nothing done), runs `run`, and shows `page` again with the API's
   * refusal when the action was refused. Described by FORM_RESPONSES unless the page words them.
   */
  post<B extends { csrf?: string | undefined }>(
    spec: {
      path: string;
      summary: string;
      body: z.ZodType<B>;
      page: PageRenderer;
      responses?: Record<number, RouteResponse>;
    },
    run: (c: AppContext, body: B) => Promise<Response>,
  ): Route<B>;
}

/** The answer to a form without the page's CSRF token or from another site: nothing was done. */
function forged(c: AppContext, render: ConsoleDeps['render']): Promise<Response> {
  return render(c, {
    title: 'Refused',
    place: { section: 'orgs' },
    status: 403,
    error: 'This form expired or was sent from another site; nothing was changed.',
    body: html`<section><p><a href="${c.req.path.replace(/\/[^/]+$/, '')}">Reload the page</a> and try again.</p></section>`,
  });
}

export function consoleDeps(services: Services, api: ConsoleAPI, admins: DeploymentAdmins): ConsoleDeps {
  const shownOnce = shownOnceOf(services);
  /** The viewer's navigation: a caller the resolvers refuse is shown what a signed-out one is. */
  const navFor = async (c: AppContext) => {
    try {
      return { deploymentAdmin: (await admins.standing(await getAuth(c, services))).isAdmin };
    } catch (error) {
      if (error instanceof PylonError) return { deploymentAdmin: false };
      throw error;
    }
  };
  const render: ConsoleDeps['render'] = async (c, page) => renderConsole(c, page, await navFor(c));
  /** A form post's handler: the CSRF check, the action, the refusal shown on the page. */
  const action =
    <B extends { csrf?: string | undefined }>(
      page: PageRenderer,
      run: (c: AppContext, body: B) => Promise<Response>,
    ) =>
    async (c: AppContext, { body }: { body: B }): Promise<Response> => {
      if (!passesConsoleCSRF(c, services, body.csrf)) return forged(c, render);
      try {
        // Done: the outcome page by a redirect (shown-once.ts), so a reload cannot post again.
        const answer = await run(c, body);
        return await shownOnce.redirect(c, (await getAuth(c, services)).sessionId, answer);
      } catch (error) {
        if (!(error instanceof PylonError)) throw error;
        return page(c, { error: `${error.message} (${error.code})`, posted: postedText(body) }, error.status);
      }
    };
  return {
    services,
    api,
    render,
    async guarded(c, place, run) {
      try {
        return await run();
      } catch (error) {
        if (error instanceof PylonError) return renderRefusal(c, error, place, await navFor(c));
        throw error;
      }
    },
    async enterOrg(c) {
      const org = await services.orgs.find(c.req.param('id') ?? '');
      if (!org) throw new PylonError('org_not_found');
      c.set('orgId', org.id);
      return org;
    },
    form: (shape) => z.object({ ...shape, csrf: z.string().max(100).optional() }),
    post: (spec, run) =>
      defineRoute({
        method: 'post',
        path: spec.path,
        summary: spec.summary,
        tags: ['console'],
        body: spec.body,
        acceptsForm: true,
        responses: spec.responses ?? FORM_RESPONSES,
        handler: action(spec.page, run),
        // A field the form's schema refuses (too long, missing) is said on the page, as the API's
        // refusals are — after the same CSRF check, so a forged post learns nothing either way.
        refuseForm: (c, fields, problem) =>
          passesConsoleCSRF(c, services, fields.csrf)
            ? spec.page(c, { error: problem, posted: postedText(fields) }, 400)
            : forged(c, render),
      }),
  };
}
