// The core flow with an older SDK (artifacts/e2b-sdks/legacy: e2b 2.49.1, which creates with POST /sandboxes and
// connects with POST /sandboxes/{id}/connect): create, runCode, commands.run, files, connect, kill.
import assert from 'node:assert/strict'
import { Sandbox } from '@e2b/code-interpreter'
import { main, section } from './checks.mjs'

await main(async () => {
  const { createRequire } = await import('node:module')
  const version = createRequire(import.meta.url)('e2b/package.json').version
  assert.equal(version, '2.49.1', `this program must run with the legacy SDK, not e2b ${version}`)
  const sbx = await Sandbox.create()
  console.log(`sandbox ${sbx.sandboxId} (e2b ${version})`)
  let killed = false
  try {
    await section('legacy-run-code', async () => {
      await sbx.runCode('x = 1')
      const execution = await sbx.runCode('x+1')
      assert.equal(execution.text, '2', `x+1 answered ${JSON.stringify(execution.toJSON())}`)
    })

    await section('legacy-commands', async () => {
      const result = await sbx.commands.run('echo "$WHO" in "$(pwd)"', { envs: { WHO: 'legacy' }, cwd: '/tmp' })
      assert.equal(result.stdout, 'legacy in /tmp\n')
    })

    await section('legacy-files', async () => {
      await sbx.files.write('/home/user/legacy.txt', 'old paths')
      assert.equal(await sbx.files.read('/home/user/legacy.txt'), 'old paths')
      assert.equal(await sbx.files.exists('/home/user/legacy.txt'), true)
      const entries = await sbx.files.list('/home/user')
      assert.ok(entries.some((e) => e.name === 'legacy.txt'), `list: ${JSON.stringify(entries.map((e) => e.name))}`)
    })

    await section('legacy-connect', async () => {
      const same = await Sandbox.connect(sbx.sandboxId)
      const execution = await same.runCode('x')
      assert.equal(execution.text, '1')
    })

    await section('legacy-kill', async () => {
      await sbx.kill()
      killed = true
      assert.equal(await sbx.isRunning(), false)
    })
  } finally {
    if (!killed) await sbx.kill().catch(() => undefined)
  }
})
