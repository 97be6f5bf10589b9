import { canonicalJSON } from '@pylon/core';
import { isRecord } from '../net/http-client.js';

export type DeployedCheck = { drift: false } | { drift: true; diff: string };

/**
 * `schema prepare --check` without `--out`, as pylon-cli does it: the freshly prepared schema
 * against the deployed one (`GET /apps/:appId/schema/current`), each reduced to its body —
 * `version_tag`, `capabilities`, `archetypes`, the `_prepared` marker left out — in canonical JSON.
 * Equal bodies are no drift; else a line diff of the two, `-` the deployed lines and `+` the
 * prepared ones.
 */
export function checkAgainstDeployed(prepared: string, deployed: unknown): DeployedCheck {
  const fresh = canonicalBody(JSON.parse(prepared) as unknown);
  const current = canonicalBody(deployed);
  if (fresh === current) return { drift: false };
  return {
    drift: true,
    diff: [
      'schema drift between deployed (current) and prepared (-/+ below):',
      '',
      ...lineDiff(current.split('\n'), fresh.split('\n')),
    ].join('\n'),
  };
}

function canonicalBody(schema: unknown): string {
  const body = isRecord(schema) ? schema : {};
  return canonicalJSON({
    version_tag: body['version_tag'],
    capabilities: body['capabilities'],
    archetypes: body['archetypes'],
  }).replace(/\n$/, '');
}

/** Lines beyond which the diff is not aligned (the table would grow too large): walked in step. */
const MAX_ALIGNED_LINES = 4000;

/**
 * A line diff: the longest common subsequence of the two kept as context (`  `), the rest as
 * removed (`- `, only in `before`) or added (`+ `, only in `after`).
 */
export function lineDiff(before: readonly string[], after: readonly string[]): string[] {
  const n = before.length;
  const m = after.length;
  if (n > MAX_ALIGNED_LINES || m > MAX_ALIGNED_LINES) return steppedDiff(before, after);
  // common[i * (m + 1) + j]: the longest common subsequence of before[i..] and after[j..].
  const common = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      common[i * (m + 1) + j] =
        before[i] === after[j]
          ? common[(i + 1) * (m + 1) + j + 1]! + 1
          : Math.max(common[(i + 1) * (m + 1) + j]!, common[i * (m + 1) + j + 1]!);
    }
  }
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      lines.push(`  ${before[i++]}`);
      j++;
    } else if (i < n && (j === m || common[(i + 1) * (m + 1) + j]! >= common[i * (m + 1) + j + 1]!)) {
      lines.push(`- ${before[i++]}`);
    } else {
      lines.push(`+ ${after[j++]}`);
    }
  }
  return lines;
}

function steppedDiff(before: readonly string[], after: readonly string[]): string[] {
  const lines: string[] = [];
  for (let k = 0; k < Math.max(before.length, after.length); k++) {
    if (before[k] === after[k]) lines.push(`  ${before[k]}`);
    else {
      if (k < before.length) lines.push(`- ${before[k]}`);
      if (k < after.length) lines.push(`+ ${after[k]}`);
    }
  }
  return lines;
}
