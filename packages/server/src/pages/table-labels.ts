import { SafeHTML } from './html.js';

/** A column's heading as an attribute value: its text without tags, quotes escaped. */
const labelOf = (heading: string) =>
  heading
    .replace(/<[^>]*>/g, '')
    .trim()
    .replace(/"/g, '&quot;');

/**
 * Every data cell of a page's tables labelled with its column's heading (`data-label`), so the
 * stylesheet can stack a row as a card on a phone, each value under its column's name (the
 * console and account pages reflow to one column there, docs/CONSOLE.md). Works on our own
 * rendered markup, where every interpolated value is escaped: a `<td` or `<th` is always a tag.
 */
export function labelTableCells(markup: SafeHTML): SafeHTML {
  return new SafeHTML(
    markup.value.replace(/<table\b[\s\S]*?<\/table>/g, (table) => {
      const head = /<thead>([\s\S]*?)<\/thead>/.exec(table);
      if (!head) return table;
      const labels = [...head[1]!.matchAll(/<th\b[^>]*>([\s\S]*?)<\/th>/g)].map((m) => labelOf(m[1]!));
      return table.replace(/<tr\b[^>]*>[\s\S]*?<\/tr>/g, (row) => {
        let column = 0;
        return row.replace(/<td\b/g, () => {
          const label = labels[column++];
          return label ? `<td data-label="${label}"` : '<td';
        });
      });
    }),
  );
}
