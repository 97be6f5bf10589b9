export interface Note {
  id: string;
  title: string;
  body: string;
  /** The `sub` of whoever wrote it last: an email (scoped token) or a user id (OAuth access token). */
  author: string;
  updated_at: number;
}

export interface NotesStore {
  list(): Note[];
  get(id: string): Note | undefined;
  /** Creates a note (no `id`) or replaces one. */
  put(note: { id?: string | undefined; title: string; body: string; author: string }): Note;
  delete(id: string): boolean;
}

/**
 * Notes in memory: enough for an example, and shared by every MCP session of one process. A real
 * server would put a database behind the same four methods.
 */
export function createNotesStore(clock: { now(): number } = { now: () => Date.now() }): NotesStore {
  const notes = new Map<string, Note>();
  let next = 1;
  return {
    list: () => [...notes.values()],
    get: (id) => notes.get(id),
    put({ id, title, body, author }) {
      const note = { id: id ?? `n${next++}`, title, body, author, updated_at: clock.now() };
      notes.set(note.id, note);
      return note;
    },
    delete: (id) => notes.delete(id),
  };
}
