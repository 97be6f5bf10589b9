// Types for processes.mjs (the benchmark is plain JavaScript; the test suite type-checks its use).
export function processTree(pid: number): number[];
export function pauseProcesses(pids: readonly number[]): () => void;
