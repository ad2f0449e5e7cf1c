// Preloaded into every end-to-end program (node --import): any TCP connection to an address that is not loopback
// fails at once with a message naming it. The programs point the SDK at a local node through E2B_API_URL and
// E2B_SANDBOX_URL; if a call ignored those, the SDK would reach for https://<port>-<id>.e2b.app — this makes
// that a clear test failure instead of traffic leaving the machine.
import net from 'node:net'

const loopback = (host) =>
  host === undefined || host === null || host === '' || host === 'localhost' ||
  host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host) || /^::ffff:127\./.test(host)

const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]
  if (first && typeof first === 'object') {
    if (first.path === undefined && !loopback(first.host)) {
      throw new Error(`e2e: refused a connection to ${first.host}:${first.port} (the end-to-end tests may only reach loopback)`)
    }
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (!loopback(args[1])) {
      throw new Error(`e2e: refused a connection to ${args[1]}:${first} (the end-to-end tests may only reach loopback)`)
    }
  }
  return connect.apply(this, args)
}
