import type { Compilable, CompiledQuery } from 'kysely';

/**
 * A query built and compiled once, run many times with fresh values: hot-path reads (the session
 * look-up, the `/token` access read, `/me`'s standing) skip rebuilding and recompiling the query
 * on every request. The query is compiled with a placeholder string per named parameter; running
 * it swaps each placeholder for its value, wherever the dialect put it in the parameter list.
 */
export function prepareQuery<Row, Name extends string>(
  build: (placeholder: (name: Name) => string) => Compilable<Row>,
): (values: Readonly<Record<Name, unknown>>) => CompiledQuery<Row> {
  const marker = (name: Name) => `\u0000pylon:${name}`;
  const compiled = build(marker).compile();
  const slots = compiled.parameters.map((parameter) => {
    const name =
      typeof parameter === 'string' && parameter.startsWith('\u0000pylon:') ? parameter.slice(7) : null;
    if (name === null) throw new Error('a prepared query may bind only named placeholders');
    return name as Name;
  });
  return (values) => ({ ...compiled, parameters: slots.map((name) => values[name]) });
}
