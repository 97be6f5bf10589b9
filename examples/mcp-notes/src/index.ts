export { createNotesHTTPApp } from './http.js';
export { createNotesServer, NOTES_APP_ID, type NotesServerOptions } from './notes-server.js';
export { createNotesStore, type Note, type NotesStore } from './notes-store.js';
export { PREPARED_BY, prepareNotesSchema, SCHEMA_PREPARED, SCHEMA_SOURCE } from './schema-file.js';
