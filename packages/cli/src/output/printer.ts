import type { OutputStream } from '../environment.js';
import { stripControlCharacters } from '../text.js';

/**
 * Where results and messages go: results (tables, JSON, tokens) on stdout so they can be piped;
 * progress, notes and errors on stderr.
 */
export class Printer {
  constructor(
    private readonly stdout: OutputStream,
    private readonly stderr: OutputStream,
  ) {}

  /** One JSON document for scripts (`--json`). */
  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One JSON value per line (`audit tail --follow --json`). */
  jsonLine(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Result text for people; server text in it is stripped of control characters. */
  out(text: string): void {
    this.stdout.write(safeLines(text));
  }

  /** Raw result text (already rendered, e.g. a table or a prepared schema). */
  raw(text: string): void {
    this.stdout.write(text);
  }

  /** A note for people on stderr. */
  note(text: string): void {
    this.stderr.write(safeLines(text));
  }
}

/** Each line stripped of control characters (newlines kept), ending in exactly one newline. */
function safeLines(text: string): string {
  return `${text.replace(/\n+$/, '').split('\n').map(stripControlCharacters).join('\n')}\n`;
}
