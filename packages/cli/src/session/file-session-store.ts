import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFile } from '../config/config-store.js';
import { isOrgId } from '../org/org-id.js';

/**
 * Sessions as files, one per org, mode 0600 in a 0700 directory: what stands in for the keyring on
 * machines without one (Linux servers and CI have no Secret Service), as ssh keeps its keys.
 */
export class FileSessionStore {
  constructor(private readonly directory: string) {}

  /** The file an org's session lives in. Org ids are slugs, so they never escape the directory. */
  location(orgId: string): string {
    if (!isOrgId(orgId)) throw new Error(`not an org id: ${JSON.stringify(orgId)}`);
    return join(this.directory, orgId);
  }

  async get(orgId: string): Promise<string | null> {
    try {
      const token = (await readFile(this.location(orgId), 'utf8')).trim();
      return token === '' ? null : token;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async set(orgId: string, token: string): Promise<void> {
    await writePrivateFile(this.location(orgId), `${token}\n`);
  }

  /** True when a file was removed. */
  async delete(orgId: string): Promise<boolean> {
    const path = this.location(orgId);
    try {
      await rm(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}
