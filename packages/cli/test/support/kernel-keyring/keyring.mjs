/**
 * `@napi-rs/keyring` as it behaves on Linux without a Secret Service, where it falls back to the
 * kernel keyring: writes are accepted and read back within the process, and a new process (with
 * its own session keyring) finds nothing. Same API as the real module for what the CLI uses.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

// With PYLON_TEST_DURABLE_KEYRING set to a path, entries live in that file instead: a keyring
// that does keep secrets across processes, for the other branch of the read-back check.
const durable = process.env.PYLON_TEST_DURABLE_KEYRING;
const entries = new Map(durable && existsSync(durable) ? JSON.parse(readFileSync(durable, 'utf8')) : []);
const persist = () => {
  if (durable) writeFileSync(durable, JSON.stringify([...entries]));
};

export class Entry {
  #key;
  constructor(service, account) {
    this.#key = `${service}/${account}`;
  }
  getPassword() {
    return entries.get(this.#key);
  }
  setPassword(secret) {
    entries.set(this.#key, secret);
    persist();
  }
  deletePassword() {
    const deleted = entries.delete(this.#key);
    persist();
    return deleted;
  }
}
