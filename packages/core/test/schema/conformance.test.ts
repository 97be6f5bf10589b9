import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalJSON } from '../../src/schema/canonical-json.js';
import { prepareSchema } from '../../src/schema/prepare.js';
import { verifyPreparedSchema } from '../../src/schema/verify.js';

// The pylon-cli 0.3.1 reference pair, vendored byte for byte (see test/fixtures/README.md).
const fixtures = new URL('../fixtures/schema-prepare/', import.meta.url);
const bareBytes = readFileSync(new URL('reference.bare.yaml', fixtures));
const preparedText = readFileSync(new URL('reference.prepared.json', fixtures), 'utf8');
const options = { cliVersion: '0.0.0-test' };

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('conformance/schema-prepare reference pair', () => {
  it('README §1: preparing reference.bare.yaml for app "example" gives reference.prepared.json byte for byte', () => {
    expect(prepareSchema(bareBytes, 'example', options)).toBe(preparedText);
  });

  it('README §1: the same bytes when the source is passed as a string', () => {
    expect(prepareSchema(bareBytes.toString('utf8'), 'example', options)).toBe(preparedText);
  });

  it('README §1: LF line endings and exactly one trailing newline', () => {
    const output = prepareSchema(bareBytes, 'example', options);
    expect(output).not.toContain('\r');
    expect(output.endsWith('}\n')).toBe(true);
    expect(output.endsWith('\n\n')).toBe(false);
  });

  it('README §2: source_sha256 is the SHA-256 of the raw source bytes', () => {
    const marker = JSON.parse(prepareSchema(bareBytes, 'example', options))._prepared;
    expect(marker.source_sha256).toBe(sha256(bareBytes));
    expect(marker.source_sha256.startsWith('81a6125c')).toBe(true);
  });

  it('README §3: content_sha256 is the SHA-256 of the canonical body without _prepared', () => {
    const { _prepared: marker, ...body } = JSON.parse(preparedText);
    expect(marker.content_sha256).toBe(sha256(canonicalJSON(body)));
  });

  it('README §4: the reference is its own canonical form', () => {
    expect(canonicalJSON(JSON.parse(preparedText))).toBe(preparedText);
  });

  it('omits an absent description rather than writing null, and an archetype without inherits has no key', () => {
    const { capabilities, archetypes } = JSON.parse(preparedText);
    expect(capabilities[0]).toEqual({ name: 'example:policy.read' });
    expect(Object.keys(archetypes[1])).toEqual(['capabilities', 'name']);
  });

  it('source_sha256 follows the raw bytes: a different spelling of the same schema changes only it', () => {
    const respelled = new TextEncoder().encode(`# a comment\n${bareBytes.toString('utf8')}`);
    const prepared = JSON.parse(prepareSchema(respelled, 'example', options));
    const reference = JSON.parse(preparedText);
    expect(prepared._prepared.source_sha256).toBe(sha256(respelled));
    expect(prepared._prepared.content_sha256).toBe(reference._prepared.content_sha256);
  });

  it('the reference verifies for its app and is a namespace violation for another', () => {
    expect(verifyPreparedSchema(preparedText, { appId: 'example' })._prepared.cli_version).toBe('0.0.0-test');
    expect(() => verifyPreparedSchema(preparedText, { appId: 'other' })).toThrow(
      expect.objectContaining({ code: 'namespace_violation' }),
    );
  });
});

describe('a written empty inherits, as the public pylon-cli 0.3.1 prepares it', () => {
  // `pylon schema prepare --source empty.yaml --app notes` of pylon-cli 0.3.1 (PYLON_CLI_VERSION_OVERRIDE=0.0.0-test).
  const source = `version_tag: "1.0.0"
capabilities: [{name: note.read}]
archetypes:
  - {name: viewer, capabilities: [note.read], inherits: []}
  - {name: owner, capabilities: [], inherits: [viewer]}
`;
  const fromPylonCLI = `{
  "_prepared": {
    "cli_version": "0.0.0-test",
    "content_sha256": "aeaa62a39e246080dfc6efd677722c2c0e414df80c2b83952325df7b6719dfb0",
    "source_sha256": "760215bfcc4d2cf12de8e206453f4143d74d343b28a1d5cd175cd2528e0e6815"
  },
  "archetypes": [
    {
      "capabilities": [],
      "inherits": [
        "notes:viewer"
      ],
      "name": "notes:owner"
    },
    {
      "capabilities": [
        "notes:note.read"
      ],
      "inherits": [],
      "name": "notes:viewer"
    }
  ],
  "capabilities": [
    {
      "name": "notes:note.read"
    }
  ],
  "version_tag": "1.0.0"
}
`;

  it('prepares to the same bytes: the empty list is kept, an absent one stays absent', () => {
    expect(prepareSchema(source, 'notes', options)).toBe(fromPylonCLI);
  });

  it("verifies the public CLI's file as it is", () => {
    expect(verifyPreparedSchema(fromPylonCLI, { appId: 'notes' })).toEqual(JSON.parse(fromPylonCLI));
  });
});
