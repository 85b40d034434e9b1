/**
 * The naive Node.js TCP forwarder of bench/endpoint.ts, run in its own process:
 * net.createServer + socket.pipe both ways, default socket options, nothing else.
 *
 *   node --import tsx bench/tcp-forwarder.ts LISTEN_IP LISTEN_PORT TARGET_IP TARGET_PORT
 */
import net from 'node:net';

const [lhost, lport, thost, tport] = process.argv.slice(2);
if (!lhost || !lport || !thost || !tport) {
  process.stderr.write('usage: tcp-forwarder LISTEN_IP LISTEN_PORT TARGET_IP TARGET_PORT\n');
  process.exit(2);
}
net.createServer((client) => {
  const upstream = net.connect(Number(tport), thost);
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}).listen(Number(lport), lhost, () => process.stdout.write('listening\n'));
