import { stripControlCharacters } from '../text.js';

/**
 * A plain-text table for people: a header row, columns padded to their widest cell, two spaces
 * between columns, no trailing spaces. Cells are stripped of control characters, since they hold
 * server text (names, descriptions) that must not drive the terminal. `--json` is for scripts.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cleaned = rows.map((row) => headers.map((_, column) => oneLine(row[column] ?? '')));
  const widths = headers.map((header, column) =>
    Math.max(displayWidth(header), ...cleaned.map((row) => displayWidth(row[column]!))),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : pad(cell, widths[column]!)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...cleaned.map(line)].join('\n')}\n`;
}

function oneLine(text: string): string {
  return stripControlCharacters(text.replace(/[\r\n\t]+/g, ' '));
}

function displayWidth(text: string): number {
  return Array.from(text).length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(width - displayWidth(text));
}
