/**
 * Preloaded into a child process under measurement (`node --expose-gc --require test/support/memoryProbe.js
 * <entry>`, with an IPC channel): on the message 'memory?' it answers with the process's memory, read once as it
 * is and once after a full garbage collection (what the process really retains). The code under measurement is
 * not changed; plain JavaScript so the child needs no build step for it.
 */
process.on('message', (message) => {
  if (message !== 'memory?' || typeof process.send !== 'function') return;
  const live = process.memoryUsage();
  if (typeof global.gc === 'function') global.gc();
  const retained = process.memoryUsage();
  process.send({
    rss: retained.rss,
    heapUsed: live.heapUsed,
    heapRetained: retained.heapUsed,
    external: retained.external,
    arrayBuffers: retained.arrayBuffers,
    gcForced: typeof global.gc === 'function',
  });
});
// The channel must not keep the child alive: it ends when its own work does (SIGTERM for the emulator).
if (process.channel) process.channel.unref();
