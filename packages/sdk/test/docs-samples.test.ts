import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SDK_MD = `${ROOT}docs/SDK.md`;

/**
 * What the samples take as the reader's own, declared once: the request being handled, the app's
 * logger, the client "Verify" makes, the Node server, the org's URL. A sample that makes one of
 * these itself (the first makes `pylon`) shadows the declaration, as a module may.
 */
const READER_OWNS = `
declare const request: Request;
declare const log: { info(fields: Record<string, unknown>): void };
declare const orgUrl: string;
declare const pylon: import('@pylon/sdk').PylonClient;
declare const server: {
  use(
    handler: (
      req: import('node:http').IncomingMessage,
      res: import('node:http').ServerResponse,
      next: (error?: unknown) => void,
    ) => void,
  ): unknown;
};
`;

/** Every TypeScript block of the page, in order, with the line it starts on. */
function samples(markdown: string): Array<{ line: number; code: string }> {
  const found: Array<{ line: number; code: string }> = [];
  const fence = /^```(?:ts|typescript)\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    found.push({ line: markdown.slice(0, match.index).split('\n').length + 1, code: match[1]! });
  }
  return found;
}

/**
 * Type-check each sample as its own ES module, with the repository's test settings (strict, the
 * workspace packages from source) and the real types of hono, zod and the MCP SDK.
 */
function typeCheck(files: Map<string, string>): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    `${ROOT}tsconfig.tests.json`,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  )!;
  // Only Node's ambient types: the samples name what else they use.
  const options = { ...config.options, types: ['node'] };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => files.has(name) || fileExists(name);
  host.readFile = (name) => files.get(name) ?? readFile(name);
  host.getSourceFile = (name, language, ...rest) => {
    const text = files.get(name);
    return text === undefined
      ? getSourceFile(name, language, ...rest)
      : ts.createSourceFile(name, text, language, true);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file === undefined || files.has(diagnostic.file.fileName))
    .map((diagnostic) => {
      const where = diagnostic.file
        ? `${diagnostic.file.fileName.slice(ROOT.length)}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}`
        : '';
      return `${where} TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    });
}

describe('docs/SDK.md', () => {
  const found = samples(readFileSync(SDK_MD, 'utf8'));

  it('every TypeScript sample type-checks under strict tsc, as a reader would paste it', () => {
    expect(found.length).toBeGreaterThanOrEqual(4);
    const files = new Map<string, string>([[`${ROOT}docs/sdk-md-reader-owns.d.ts`, READER_OWNS]]);
    for (const { line, code } of found) {
      // Named after its line in SDK.md, so a diagnostic points at the sample; `export {}` makes
      // each one a module of its own even when it imports nothing.
      files.set(`${ROOT}docs/SDK.md-line-${line}.ts`, `${code}\nexport {};\n`);
    }
    // A control in the same program: the mistake the Hono sample once made must be reported.
    files.set(
      `${ROOT}docs/SDK.md-control.ts`,
      "import { Hono } from 'hono';\nconst app = new Hono();\napp.get('/', (c) => c.json(c.get('pylonActor')));\nexport {};\n",
    );
    const problems = typeCheck(files);
    expect(problems.filter((problem) => !problem.startsWith('docs/SDK.md-control.ts'))).toEqual([]);
    expect(problems.join('\n')).toMatch(/^docs\/SDK\.md-control\.ts:3 TS2769/m);
  }, 60_000);
});
