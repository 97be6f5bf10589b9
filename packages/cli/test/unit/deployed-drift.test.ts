import { prepareSchema } from '@pylon/core';
import { describe, expect, it } from 'vitest';
import { checkAgainstDeployed, lineDiff } from '../../src/schema/deployed-drift.js';

const SOURCE = 'version_tag: "1"\ncapabilities: [{name: a}]\narchetypes: [{name: x, capabilities: [a]}]\n';

describe('schema prepare --check against the deployed schema', () => {
  it('compares bodies only: the _prepared marker and the deployed version’s summary do not count', () => {
    const prepared = prepareSchema(SOURCE, 'notes', { cliVersion: '9.9.9' });
    const { _prepared: _marker, ...body } = JSON.parse(prepared) as Record<string, unknown>;
    const deployed = {
      ...body,
      version: 3,
      pushed_by: 'app:notes',
      pushed_at: 1,
      prepared: { cli_version: '0.3.1' },
    };
    expect(checkAgainstDeployed(prepared, deployed)).toEqual({ drift: false });
    expect(checkAgainstDeployed(prepared, { ...deployed, version_tag: '0' })).toMatchObject({ drift: true });
  });

  it('aligns the lines a change kept, so an insertion shows as one added line', () => {
    expect(lineDiff(['a', 'b', 'c'], ['a', 'x', 'b', 'c'])).toEqual(['  a', '+ x', '  b', '  c']);
    expect(lineDiff(['a', 'b', 'c'], ['a', 'c'])).toEqual(['  a', '- b', '  c']);
    expect(lineDiff(['a', 'b'], ['a', 'c'])).toEqual(['  a', '- b', '+ c']);
  });
});
