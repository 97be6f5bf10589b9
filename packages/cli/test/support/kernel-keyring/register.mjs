// `node --import …/register.mjs`: every `@napi-rs/keyring` import in the process (and in the
// processes it starts with the same NODE_OPTIONS) gets keyring.mjs instead.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
