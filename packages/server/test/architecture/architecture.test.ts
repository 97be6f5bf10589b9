import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer } from '../support/server.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const serverSrc = join(root, 'packages/server/src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative module a file imports or re-exports (static or dynamic), as src-relative paths. */
export function importsOf(file: string, text: string): string[] {
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gms),
    ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1]!);
  return specifiers
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => relative(serverSrc, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts'));
}

/** A route file: where a feature's route table lives (`*-routes.ts`, `routes.ts`, `*-route.ts`). */
const isRouteFile = (path: string) => /(^|\/|-)routes?\.ts$/.test(path);

type Rule = { name: string; breaks: (from: string, to: string) => boolean };

const RULES: Rule[] = [
  {
    name: 'http/ imports nothing from features/',
    breaks: (from, to) => from.startsWith('http/') && to.startsWith('features/'),
  },
  {
    name: 'features/ never import server.ts',
    breaks: (from, to) => from.startsWith('features/') && to === 'server.ts',
  },
  {
    name: 'server.ts mounts no feature by name',
    breaks: (from, to) => from === 'server.ts' && /^features\/[^/]+\/(feature|routes)\.ts$/.test(to),
  },
  {
    name: "a feature never calls another feature's feature.ts (shared objects live in features/deps.ts)",
    breaks: (from, to) => {
      const source = /^features\/([^/]+)\//.exec(from)?.[1];
      const target = /^features\/([^/]+)\/feature\.ts$/.exec(to)?.[1];
      return source !== undefined && target !== undefined && source !== target;
    },
  },
  {
    name: 'pages/ import use cases, never route files',
    breaks: (from, to) => from.startsWith('pages/') && isRouteFile(to),
  },
];

function violations(files: Array<{ path: string; text: string }>): string[] {
  return files.flatMap(({ path, text }) => {
    const from = relative(serverSrc, path);
    return importsOf(path, text).flatMap((to) =>
      RULES.filter((rule) => rule.breaks(from, to)).map((rule) => `${rule.name}: ${from} → ${to}`),
    );
  });
}

describe('architecture: import directions in packages/server/src', () => {
  const files = sourceFiles(serverSrc).map((path) => ({ path, text: readFileSync(path, 'utf8') }));

  it('holds for every source file', () => {
    expect(violations(files)).toEqual([]);
  });

  it('catches each forbidden direction (the check can fail)', () => {
    const at = (path: string, text: string) => ({ path: join(serverSrc, path), text });
    expect(
      violations([
        at('http/context.ts', "import type { OrgDirectory } from '../features/orgs/org-directory.js';"),
        at('features/orgs/feature.ts', "import type {\n  Feature,\n} from '../../server.js';"),
        at('server.ts', "export { healthRoutes } from './features/health/routes.js';"),
        at('pages/login-page.ts', "const m = await import('../features/identity/magic-routes.js');"),
        at('pages/login-page.ts', "import { x } from '../features/identity/select-org-route.js';"),
        at('features/console/feature.ts', "import { rbacFeature } from '../rbac/feature.js';"),
      ]),
    ).toHaveLength(6);
    expect(
      violations([
        at('features/orgs/feature.ts', "import type { Feature } from '../../http/feature.js';"),
        at(
          'pages/login-page.ts',
          "import { passwordSignIn } from '../features/identity/password-sign-in.js';",
        ),
      ]),
    ).toEqual([]);
  });
});

describe('architecture: file sizes', () => {
  it('no source file in any package is over 400 lines', () => {
    const packages = readdirSync(join(root, 'packages'));
    const tooLong = packages
      .flatMap((name) => {
        try {
          return sourceFiles(join(root, 'packages', name, 'src'));
        } catch {
          return [];
        }
      })
      .map((path) => ({
        path: relative(root, path),
        lines: readFileSync(path, 'utf8').split('\n').length - 1,
      }))
      .filter(({ lines }) => lines > 400);
    expect(tooLong).toEqual([]);
  });
});

describe('architecture: the feature table', () => {
  it('resolves callers in the order admin token, API key, external JWT, session', async () => {
    const t = await startTestServer(testDatabases[0]!);
    try {
      expect(t.server.services.resolvers.map((resolver) => resolver.name)).toEqual([
        'admin_token',
        'api_key',
        'external_jwt',
        'session',
      ]);
    } finally {
      await t.close();
    }
  });
});
