// The bench's `e2b` transport: E2B's official SDK (@e2b/code-interpreter on e2b) driven by SoulBox.Bench through a
// line protocol on stdin/stdout, so that one long-lived node process pays the SDK's per-call cost and nothing else
// (no node start per call). E2B_API_KEY, E2B_API_URL and E2B_SANDBOX_URL point the SDK at the node under test.
//
// One JSON object per line in, one per line out, matched by id; requests run concurrently:
//   {"id":1,"op":"create","template":"python","timeoutMs":3600000}  → {"id":1,"ok":true,"sandboxId":"..."}
//   {"id":2,"op":"run","sandboxId":"...","code":"print(1)","language":"python"}
//                                                                   → {"id":2,"ok":true,"stdout":"1\n","error":null}
//   {"id":3,"op":"loop","sandboxId":"...","code":"1+1","iterations":1000,"expect":"2"}
//        (timed inside node: the SDK's own latency without this protocol) → {"id":3,"ok":true,"samplesMs":[...],"failures":0}
//   {"id":4,"op":"kill","sandboxId":"..."}                          → {"id":4,"ok":true}
// A failed request answers {"id":n,"ok":false,"error":"<name>: <message>"}. The first line out is {"ready":true,...}.
import { createInterface } from 'node:readline'
import { performance } from 'node:perf_hooks'
import { Sandbox } from '@e2b/code-interpreter'

const sandboxes = new Map()

const answer = (message) => process.stdout.write(JSON.stringify(message) + '\n')

function sandboxOf(id) {
  const sandbox = sandboxes.get(id)
  if (!sandbox) throw new Error(`no sandbox ${id} was created by this driver`)
  return sandbox
}

const ops = {
  async create({ template, timeoutMs }) {
    const sandbox = await Sandbox.create(template, { timeoutMs })
    sandboxes.set(sandbox.sandboxId, sandbox)
    return { sandboxId: sandbox.sandboxId }
  },
  async run({ sandboxId, code, language }) {
    const execution = await sandboxOf(sandboxId).runCode(code, language ? { language } : undefined)
    return {
      stdout: execution.logs.stdout.join(''),
      text: execution.text ?? null,
      error: execution.error ? `${execution.error.name}: ${execution.error.value}` : null,
    }
  },
  async loop({ sandboxId, code, iterations, expect }) {
    const sandbox = sandboxOf(sandboxId)
    const samplesMs = []
    let failures = 0
    let lastFailure = null
    for (let i = 0; i < iterations; i++) {
      const started = performance.now()
      const execution = await sandbox.runCode(code)
      const ms = performance.now() - started
      if (execution.error || (expect !== undefined && execution.text !== expect)) {
        failures++
        lastFailure = execution.error ? `${execution.error.name}: ${execution.error.value}` : `text ${JSON.stringify(execution.text)}`
      } else {
        samplesMs.push(ms)
      }
    }
    return { samplesMs, failures, lastFailure }
  },
  async kill({ sandboxId }) {
    const sandbox = sandboxes.get(sandboxId)
    sandboxes.delete(sandboxId)
    if (sandbox) await sandbox.kill()
    return {}
  },
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
lines.on('line', (line) => {
  if (!line.trim()) return
  let request
  try {
    request = JSON.parse(line)
  } catch (error) {
    answer({ id: null, ok: false, error: `bad request line: ${error.message}` })
    return
  }
  const op = ops[request.op]
  if (!op) {
    answer({ id: request.id, ok: false, error: `unknown op ${request.op}` })
    return
  }
  op(request).then(
    (result) => answer({ id: request.id, ok: true, ...result }),
    (error) => answer({ id: request.id, ok: false, error: `${error?.name ?? 'Error'}: ${error?.message ?? error}` }),
  )
})
lines.on('close', () => process.exit(0))
answer({ ready: true, node: process.versions.node, pid: process.pid })
