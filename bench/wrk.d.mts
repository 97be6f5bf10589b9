// Types for wrk.mjs (the benchmark is plain JavaScript; the test suite type-checks its use).
export const REPORT_MARK: string;
export function luaString(text: string): string;
export interface WrkRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}
export function wrkScript(request?: WrkRequest): string;
export interface WrkFigures {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  loadUs: number;
}
export function parseWrkReport(output: string): WrkFigures;
export function runWrk(
  url: string,
  options: WrkRequest & { connections: number; seconds: number; cpus?: string | null },
): Promise<WrkFigures>;
