import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_VARIABLES } from '../../src/config/variables.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const DOCS = fileURLToPath(new URL('../../../../docs/', import.meta.url));
const docs = readdirSync(DOCS)
  .filter((name) => name.endsWith('.md'))
  .map((name) => readFileSync(`${DOCS}${name}`, 'utf8'))
  .join('\n');

/**
 * Every route the server serves and every variable it reads is documented in docs/ (the README
 * promises a newcomer finds them there). Routes are looked up as the docs write them: relative
 * to their surface (`/api/auth` stripped, the `/o/{orgId}` copy of the RBAC surface folded into
 * the root one), with `:param` or `{param}` for OpenAPI's `{param}` — any parameter name.
 */
describe('docs/ covers what the server offers', () => {
  let t: TestServer;
  let paths: string[];
  beforeAll(async () => {
    t = await startTestServer(testDatabases[0]!);
    const document = (await (await t.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    paths = Object.keys(document.paths);
  });
  afterAll(() => t.close());

  const documented = (path: string) => {
    const relative = path.replace(/^\/api\/auth(?=\/)/, '').replace(/^\/o\/\{orgId\}(?=\/)/, '');
    const pattern = relative
      .split(/\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('(?::[A-Za-z_]+|\\{[A-Za-z_]+\\})');
    // The path must end there: `/sessions` is not documented by `/sessions/:id`.
    return new RegExp(`${pattern}(?![A-Za-z0-9_/-])`).test(docs);
  };

  it('documents every route of /openapi.json', () => {
    expect(paths.length).toBeGreaterThan(100);
    expect(paths.filter((path) => !documented(path))).toEqual([]);
  });

  it('documents every PYLON_* variable the server knows', () => {
    expect(KNOWN_VARIABLES.size).toBeGreaterThan(40);
    expect([...KNOWN_VARIABLES].filter((name) => !docs.includes(name))).toEqual([]);
  });

  it('would notice a route or a variable that is not documented', () => {
    expect(documented('/api/auth/no-such-route-for-this-check')).toBe(false);
    expect(documented('/api/auth/sessions/{id}')).toBe(true);
    expect(docs.includes('PYLON_NO_SUCH_VARIABLE_FOR_THIS_CHECK')).toBe(false);
  });
});
