// The baseline: a hello-world on the same HTTP stack Pylon uses (Hono on @hono/node-server).
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/hello', (c) => c.json({ status: 'ok' }));
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.send?.({ port: info.port });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
