export { CLIError } from './cli-error.js';
export type { CLIEnvironment, OutputStream } from './environment.js';
export { EXIT, type ExitCode } from './exit-codes.js';
export { nodeEnvironment } from './node-environment.js';
export { buildProgram, runCLI } from './program.js';
export type { KeyringPort } from './session/keyring.js';
