import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type PylonConfig, parseConfig, serializeConfig } from './config.js';

/** Reads the config file; a missing file is an empty config (first run). */
export async function loadConfig(path: string): Promise<PylonConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { orgs: [] };
    throw error;
  }
  return parseConfig(text, path);
}

/**
 * Writes the config through a temporary file and a rename, so a crash mid-write never leaves a
 * half-written config. The directory is private (0700) like the rest of `~/.pylon`.
 */
export async function saveConfig(path: string, config: PylonConfig): Promise<void> {
  await writePrivateFile(path, serializeConfig(config));
}

/** Atomic write of a file only its owner can read (0600), in a directory only its owner can list. */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, content, { mode: 0o600, flag: 'wx' });
    // The umask can only remove bits, but a pre-existing file keeps its mode: set it explicitly.
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
