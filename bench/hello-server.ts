/**
 * The API benchmark's baseline: a bare fastify hello-world, in its own node process.
 * Prints {"port":N} on stdout once it listens on 127.0.0.1 (an ephemeral port).
 */
import Fastify from 'fastify';

const app = Fastify();
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0) });
const addr = app.server.address();
process.stdout.write(JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 }) + '\n');
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => { void app.close().then(() => process.exit(0)); });
