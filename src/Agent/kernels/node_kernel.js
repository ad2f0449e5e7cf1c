'use strict';
// SoulBox JavaScript kernel: one vm context kept alive between runs.
//
// Protocol with the agent (see Worker/Kernel.cs), the same as python_kernel.py:
//   * stdin: the first line is a nonce; every later line is a JSON request {"code": str, "env": {..}|null, "turn": n}.
//   * fd 1 and fd 2 are the real pipes to the agent (Node writes to pipes synchronously on Linux),
//     so console.log, process.stdout.write and child processes stream straight through. A run ends
//     with MARKER + TURN + "\n" on fd 2, then MARKER + TURN + ":" + one JSON reply line on fd 1, where
//     MARKER = "\x1e\x1fsoulbox:" + nonce + "\x1f" and TURN is the request's turn (0 at start-up).
//     Only markers of the current turn count (user code can read the nonce; see Worker/Kernel.cs).
//     Replies: {"ready": true} once at start, then {"value": str|null, "error": {..}|null, "data": {..}?}: value is the
//     last value's text/plain (util.inspect); data adds application/json for plain objects and arrays.
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const util = require('util');
const vm = require('vm');
const { createRequire } = require('module');

let marker = null;
const queue = [];
let busy = false;
let stdinClosed = false;

function writeAll(fd, buffer) {
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(fd, buffer, offset);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }
}

function reply(message, turn) {
  writeAll(2, Buffer.concat([marker, Buffer.from(`${turn}\n`)]));
  writeAll(1, Buffer.concat([marker, Buffer.from(`${turn}:` + JSON.stringify(message) + '\n')]));
}

const cwd = process.cwd();
const sandbox = {
  console, process, Buffer, URL, URLSearchParams, TextEncoder, TextDecoder, AbortController,
  setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate, queueMicrotask,
  structuredClone, fetch: globalThis.fetch,
  require: createRequire(path.join(cwd, '[cell]')),
  module: { exports: {} },
  __filename: path.join(cwd, '[cell]'),
  __dirname: cwd,
};
sandbox.exports = sandbox.module.exports;
sandbox.global = sandbox;
sandbox.globalThis = sandbox;
const context = vm.createContext(sandbox);

// An error thrown later from a timer must not end the kernel (and its state) with it.
process.on('uncaughtException', (err) => {
  process.stderr.write(`Uncaught ${err && err.stack ? err.stack : String(err)}\n`);
});
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`Unhandled rejection: ${reason && reason.stack ? reason.stack : String(reason)}\n`);
});

// The agent's limit of one result (AgentProtocol.MaxResultBytes); a larger JSON form is simply left out.
const MAX_RESULT_BYTES = 2 * 1024 * 1024;

// JSON for plain data only (objects made by literals, arrays): a class instance's JSON would hide what it is.
// Objects made in the vm context have that context's Object.prototype, so the check is by shape, not identity.
function jsonData(value) {
  if (value === null || typeof value !== 'object') return null;
  if (!Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== null && (Object.getPrototypeOf(proto) !== null || !proto.constructor || proto.constructor.name !== 'Object')) return null;
  }
  try {
    const text = JSON.stringify(value);
    return text === undefined || text.length > MAX_RESULT_BYTES ? null : { 'application/json': text };
  } catch {
    return null; // cycles, BigInt
  }
}

function describeError(err) {
  if (err instanceof Error || (err && typeof err === 'object' && 'stack' in err)) {
    // Keep the user's frames; the kernel's own (vm, this file, node internals) are noise.
    const stack = String(err.stack || '').split('\n')
      .filter((line) => !/^\s+at .*(\(node:|node_kernel\.js)/.test(line))
      .join('\n');
    return { name: String(err.name || 'Error'), value: String(err.message ?? ''), traceback: stack };
  }
  return { name: 'Error', value: util.inspect(err), traceback: '' };
}

async function run(request) {
  // The silo sends the sandbox's whole environment with every run; apply it for this run only, and
  // touch (then restore) just the variables that differ, which keeps the hot path cheap.
  const changes = Object.entries(request.env || {}).filter(([k, v]) => process.env[k] !== v);
  const savedEnv = changes.map(([k]) => [k, process.env[k]]);
  for (const [k, v] of changes) process.env[k] = v;
  try {
    let value = vm.runInContext(request.code, context, { filename: '<cell>' });
    // A promise as completion value (an async IIFE) is awaited, so its output streams before the result.
    if (value && typeof value.then === 'function') value = await value;
    if (value === undefined || value === null) return { value: null, error: null };
    const data = jsonData(value);
    return data ? { value: util.inspect(value), error: null, data } : { value: util.inspect(value), error: null };
  } catch (err) {
    return { value: null, error: describeError(err) };
  } finally {
    for (const [k, old] of savedEnv) {
      if (old === undefined) delete process.env[k];
      else process.env[k] = old;
    }
  }
}

async function drain() {
  if (busy) return;
  busy = true;
  while (queue.length > 0) {
    const request = queue.shift();
    let result;
    try {
      result = await run(request);
    } catch (err) {
      result = { value: null, error: describeError(err) };
    }
    reply(result, Number(request.turn) || 0);
  }
  busy = false;
  if (stdinClosed) process.exit(0);
}

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on('line', (line) => {
  if (marker === null) {
    marker = Buffer.from(`\x1e\x1fsoulbox:${line}\x1f`);
    reply({ ready: true }, 0);
    return;
  }
  queue.push(JSON.parse(line));
  drain();
});
// The agent closes stdin to stop the kernel; a run in progress finishes first.
input.on('close', () => {
  stdinClosed = true;
  if (!busy) process.exit(0);
});
