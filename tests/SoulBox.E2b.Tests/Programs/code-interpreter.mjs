// @e2b/code-interpreter the way E2B's docs use it: one sandbox of the default template (code-interpreter-v1),
// stateful runCode, streamed output callbacks, errors, a matplotlib chart, a pandas DataFrame, JavaScript and
// code contexts. Needs E2B_API_KEY, E2B_API_URL and E2B_SANDBOX_URL.
import assert from 'node:assert/strict'
import { Sandbox } from '@e2b/code-interpreter'
import { main, section, waitFor } from './checks.mjs'

await main(async () => {
  const sbx = await Sandbox.create()
  console.log(`sandbox ${sbx.sandboxId}`)
  try {
    await section('stateful-run-code', async () => {
      await sbx.runCode('x = 1')
      const execution = await sbx.runCode('x+1')
      assert.equal(execution.error, undefined, `x+1 raised ${JSON.stringify(execution.error)}`)
      assert.equal(execution.text, '2', `x+1 answered ${JSON.stringify(execution.results)}`)
      assert.equal(execution.results.length, 1)
      assert.equal(execution.results[0].isMainResult, true)
      assert.equal(typeof execution.executionCount, 'number', 'no number_of_executions line in the /execute stream')
    })

    await section('streamed-callbacks', async () => {
      // The cell waits for a file that the onStdout callback writes: the run only finishes if its first line
      // reached the program while the cell was still running (streamed, not sent at the end).
      const stdout = []
      const stderr = []
      let released = false
      const execution = await sbx.runCode(
        [
          'import os, sys, time',
          'print("out-1", flush=True)',
          'print("err-1", file=sys.stderr, flush=True)',
          'deadline = time.time() + 30',
          'while not os.path.exists("/tmp/e2e-release") and time.time() < deadline:',
          '    time.sleep(0.02)',
          'print("out-2" if os.path.exists("/tmp/e2e-release") else "never released")',
        ].join('\n'),
        {
          onStdout: (message) => {
            stdout.push(message.line)
            if (!released && message.line.includes('out-1')) {
              released = true
              sbx.files.write('/tmp/e2e-release', 'go').catch((e) => stdout.push(`release failed: ${e}`))
            }
          },
          onStderr: (message) => stderr.push(message.line),
        },
      )
      assert.equal(stdout.join(''), 'out-1\nout-2\n', `onStdout lines ${JSON.stringify(stdout)}`)
      assert.equal(stderr.join(''), 'err-1\n', `onStderr lines ${JSON.stringify(stderr)}`)
      assert.deepEqual(execution.logs.stdout, stdout)
      assert.deepEqual(execution.logs.stderr, stderr)
    })

    await section('run-code-envs', async () => {
      const execution = await sbx.runCode('import os; os.environ.get("E2E_GREETING")', { envs: { E2E_GREETING: 'hi' } })
      assert.equal(execution.text, "'hi'", `envs: ${JSON.stringify(execution.toJSON())}`)
    })

    await section('quiet-cell', async () => {
      // The SDK allows requestTimeoutMs for the response headers and timeoutMs for the whole cell: a cell that prints
      // nothing for longer than requestTimeoutMs is still within its timeoutMs and must not fail.
      const execution = await sbx.runCode('import time\ntime.sleep(6)\n"quiet"', { requestTimeoutMs: 3000, timeoutMs: 60_000 })
      assert.equal(execution.text, "'quiet'", `quiet cell: ${JSON.stringify(execution.toJSON())}`)
    })

    await section('error', async () => {
      const execution = await sbx.runCode('1/0')
      assert.ok(execution.error, 'no error for 1/0')
      assert.equal(execution.error.name, 'ZeroDivisionError')
      assert.equal(execution.error.value, 'division by zero')
      assert.equal(typeof execution.error.traceback, 'string')
      assert.match(execution.error.traceback, /ZeroDivisionError/)
      // The kernel survives an error: state from before is still there.
      const after = await sbx.runCode('x')
      assert.equal(after.text, '1', `x after the error: ${JSON.stringify(after.toJSON())}`)
    })

    await section('matplotlib-png', async () => {
      const shown = []
      const execution = await sbx.runCode(
        [
          'import matplotlib.pyplot as plt',
          'plt.plot([1, 2, 3], [1, 4, 9])',
          'plt.title("squares")',
          'plt.show()',
        ].join('\n'),
        { onResult: (result) => shown.push(result) },
      )
      assert.equal(execution.error, undefined, `chart raised ${JSON.stringify(execution.error)}`)
      const chart = execution.results.find((result) => result.png)
      assert.ok(chart, `no PNG among the results: ${JSON.stringify(execution.results.map((r) => r.formats()))}`)
      const png = Buffer.from(chart.png, 'base64')
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'the png is not base64 PNG data')
      assert.ok(png.length > 1000, `a ${png.length}-byte PNG is too small for a chart`)
      assert.ok(shown.some((result) => result.png === chart.png), 'onResult did not receive the chart')
    })

    await section('pandas-html', async () => {
      const execution = await sbx.runCode(
        ['import pandas as pd', 'pd.DataFrame({"name": ["ada", "bob"], "score": [3, 4]})'].join('\n'),
      )
      assert.equal(execution.error, undefined, `pandas raised ${JSON.stringify(execution.error)}`)
      const table = execution.results[0]
      assert.ok(table, 'no result for a DataFrame')
      assert.equal(table.isMainResult, true)
      assert.match(table.html ?? '', /<table[\s\S]*ada[\s\S]*bob[\s\S]*<\/table>/, `html: ${table.html}`)
      assert.match(table.text ?? '', /name\s+score/, `text: ${table.text}`)
    })

    await section('javascript', async () => {
      const execution = await sbx.runCode('const answer = 40; answer + 2', { language: 'js' })
      assert.equal(execution.error, undefined, `js raised ${JSON.stringify(execution.error)}`)
      assert.equal(execution.text, '42')
    })

    await section('contexts', async () => {
      const context = await sbx.createCodeContext({ cwd: '/tmp' })
      assert.ok(context.id, `context: ${JSON.stringify(context)}`)
      await sbx.runCode('y = 5', { context })
      const cwd = await sbx.runCode('import os; os.getcwd()', { context })
      assert.equal(cwd.text, "'/tmp'")
      const isolated = await sbx.runCode('"y" in globals()')
      assert.equal(isolated.text, 'False', 'the default context sees a variable of another context')
      const listed = await sbx.listCodeContexts()
      assert.ok(listed.some((c) => c.id === context.id), `listCodeContexts: ${JSON.stringify(listed)}`)
      await sbx.restartCodeContext(context)
      const restarted = await sbx.runCode('"y" in globals()', { context })
      assert.equal(restarted.text, 'False', 'a restarted context kept its variables')
      await sbx.removeCodeContext(context)
      const after = await sbx.listCodeContexts()
      assert.ok(!after.some((c) => c.id === context.id), 'a removed context is still listed')
    })
  } finally {
    await sbx.kill()
  }
})
