// A program's checks are run as named sections: each prints "SECTION <name> ok" or "SECTION <name> FAIL <why>"
// (with the line of the program that failed) and a failed section does not stop the next ones, so one run of a program (one sandbox)
// reports every feature it covers. finish() exits non-zero when any section failed.
import { inspect } from 'node:util'

let failed = 0

export async function section(name, body) {
  const started = Date.now()
  try {
    await body()
    console.log(`SECTION ${name} ok (${Date.now() - started} ms)`)
  } catch (error) {
    failed++
    console.log(`SECTION ${name} FAIL ${describe(error).replaceAll('\n', '\n    ')}`)
  }
}

/** The error's name and message, and where in the program it was thrown (not the SDK's frames). */
function describe(error) {
  if (!(error instanceof Error)) return inspect(error)
  const frame = (error.stack ?? '').split('\n').find((line) => /\.mjs:\d+/.test(line) && !line.includes('node_modules') && !line.includes('checks.mjs'))
  return `${error.name}: ${error.message}${frame ? `\n${frame.trim()}` : ''}`
}

/** Polls until condition() is true; fails with what was awaited after timeoutMs. */
export async function waitFor(condition, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export function finish() {
  if (failed > 0) {
    console.error(`${failed} section(s) failed`)
    process.exit(1)
  }
  process.exit(0)
}

/** Runs the program's main; a throw outside any section (e.g. Sandbox.create failing) exits 2 with the error. */
export async function main(body) {
  try {
    await body()
  } catch (error) {
    console.error(`FATAL ${error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : inspect(error)}`)
    process.exit(2)
  }
  finish()
}
