import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DevelopmentSecret {
  secret: string;
  path: string;
  created: boolean;
}

/**
 * Development only: read (or create once) the 64-hex secret in `<dataDir>/secret`, mode 0600,
 * so sealed values survive restarts without the developer configuring PYLON_SECRET.
 */
export function loadOrCreateDevelopmentSecret(dataDir: string, generate: () => string): DevelopmentSecret {
  const path = join(dataDir, 'secret');
  if (existsSync(path)) {
    const secret = readFileSync(path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(secret)) {
      throw new Error(`${path} does not hold 64 hex characters; delete it or set PYLON_SECRET`);
    }
    return { secret, path, created: false };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = generate();
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { secret, path, created: true };
}
