/**
 * The few Cloudflare Workers runtime types Pylon uses, declared here so the server builds without
 * the Workers type package (see https://developers.cloudflare.com/durable-objects/api/).
 */
import type { DurableSqlStorage } from '../platform/durable-sqlite.js';
import type { AlarmStorage } from './alarm-scheduler.js';

export interface DurableObjectState {
  readonly storage: DurableSqlStorage & AlarmStorage;
  waitUntil(promise: Promise<unknown>): void;
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
}

export interface DurableObjectStub {
  fetch(request: Request): Promise<Response>;
}

export interface DurableObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): DurableObjectStub;
}

/** https://developers.cloudflare.com/kv/api/read-key-value-pairs/ and …/write-key-value-pairs/ */
export interface KVNamespace {
  getWithMetadata<Metadata>(key: string): Promise<{ value: string | null; metadata: Metadata | null }>;
  put(key: string, value: string, options?: { expirationTtl?: number; metadata?: unknown }): Promise<void>;
}

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** The bindings wrangler.toml declares (deploy/workers/wrangler.toml), beside the PYLON_* vars. */
export interface PylonWorkerEnv {
  PYLON_STORE: DurableObjectNamespace;
  PYLON_CACHE?: KVNamespace;
  [variable: string]: unknown;
}
