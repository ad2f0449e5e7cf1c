// e2b (the core SDK) the way E2B's docs use it: one sandbox of the default template (base) for commands,
// background commands, files, connect by id, set timeout, list, and finally kill. Needs E2B_API_KEY,
// E2B_API_URL and E2B_SANDBOX_URL.
import assert from 'node:assert/strict'
import { CommandExitError, FileNotFoundError, NotFoundError, Sandbox } from 'e2b'
import { main, section, waitFor } from './checks.mjs'

await main(async () => {
  const sbx = await Sandbox.create({ metadata: { purpose: 'soulbox-e2e' } })
  console.log(`sandbox ${sbx.sandboxId}`)
  let killed = false
  try {
    await section('user-and-home', async () => {
      const result = await sbx.commands.run('whoami; pwd; echo "$HOME"')
      assert.equal(result.stdout, 'user\n/home/user\n/home/user\n')
    })

    await section('root-user-runs-as-sandbox-user', async () => {
      // E2B's user: 'root' is answered by running as the sandbox user: never as root.
      const result = await sbx.commands.run('id -u -n; id -u', { user: 'root' })
      assert.equal(result.stdout.split('\n')[0], 'user')
      assert.notEqual(result.stdout.split('\n')[1], '0')
    })

    await section('e2b-environment', async () => {
      const result = await sbx.commands.run('echo "$E2B_SANDBOX $E2B_SANDBOX_ID"')
      assert.equal(result.stdout, `true ${sbx.sandboxId}\n`)
    })

    await section('command-envs-and-cwd', async () => {
      const result = await sbx.commands.run('echo "$GREETING from $(pwd)"', { envs: { GREETING: 'hello' }, cwd: '/tmp' })
      assert.equal(result.exitCode, 0)
      assert.equal(result.stdout, 'hello from /tmp\n')
      assert.equal(result.stderr, '')
    })

    await section('command-streams', async () => {
      const out = []
      const err = []
      const result = await sbx.commands.run('echo one; echo two >&2; echo three', {
        onStdout: (data) => out.push(data),
        onStderr: (data) => err.push(data),
      })
      assert.equal(out.join(''), 'one\nthree\n')
      assert.equal(err.join(''), 'two\n')
      assert.equal(result.stdout, 'one\nthree\n')
    })

    await section('failing-command', async () => {
      await assert.rejects(sbx.commands.run('echo partial; echo broken >&2; exit 3'), (error) => {
        assert.ok(error instanceof CommandExitError, `expected CommandExitError, got ${error?.name}: ${error?.message}`)
        assert.equal(error.exitCode, 3)
        assert.equal(error.stdout, 'partial\n')
        assert.equal(error.stderr, 'broken\n')
        return true
      })
    })

    await section('background-command', async () => {
      const out = []
      const handle = await sbx.commands.run('cat', { background: true, stdin: true, onStdout: (data) => out.push(data) })
      assert.ok(handle.pid > 0, `pid ${handle.pid}`)
      await sbx.commands.sendStdin(handle.pid, 'ping\n')
      await waitFor(() => out.join('').includes('ping\n'), 'cat to echo "ping" sent with sendStdin')

      const listed = await sbx.commands.list()
      const entry = listed.find((p) => p.pid === handle.pid)
      assert.ok(entry, `commands.list() lacks pid ${handle.pid}: ${JSON.stringify(listed)}`)
      assert.equal(entry.cmd, '/bin/bash')
      assert.deepEqual(entry.args, ['-l', '-c', 'cat'])

      // Detach and re-attach (Process.Connect): the process lives on and its output reaches the new handle.
      await handle.disconnect()
      const again = []
      const reattached = await sbx.commands.connect(handle.pid, { onStdout: (data) => again.push(data) })
      await sbx.commands.sendStdin(handle.pid, 'pong\n')
      await waitFor(() => again.join('').includes('pong\n'), 'the re-attached handle to see "pong"')

      assert.equal(await sbx.commands.kill(handle.pid), true)
      await assert.rejects(reattached.wait(), (error) => {
        assert.ok(error instanceof CommandExitError, `wait() after kill: ${error?.name}: ${error?.message}`)
        return true
      })
      await waitFor(async () => !(await sbx.commands.list()).some((p) => p.pid === handle.pid), 'the killed pid to leave commands.list()')
      assert.equal(await sbx.commands.kill(handle.pid), false, 'killing a gone pid should answer false (not_found)')
    })

    await section('background-close-stdin', async () => {
      const handle = await sbx.commands.run('wc -c', { background: true, stdin: true })
      await sbx.commands.sendStdin(handle.pid, 'twelve bytes')
      await sbx.commands.closeStdin(handle.pid)
      const result = await handle.wait()
      assert.equal(result.stdout.trim(), '12')
    })

    await section('files-text', async () => {
      const info = await sbx.files.write('/home/user/hello.txt', 'hello from e2b\n')
      assert.equal(info.path, '/home/user/hello.txt')
      assert.equal(info.name, 'hello.txt')
      assert.equal(await sbx.files.read('/home/user/hello.txt'), 'hello from e2b\n')
      const cat = await sbx.commands.run('cat /home/user/hello.txt')
      assert.equal(cat.stdout, 'hello from e2b\n')
    })

    await section('files-binary', async () => {
      const bytes = new Uint8Array(70_000)
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff
      await sbx.files.write('/home/user/data.bin', bytes.buffer)
      const back = await sbx.files.read('/home/user/data.bin', { format: 'bytes' })
      assert.equal(back.length, bytes.length)
      assert.ok(Buffer.from(back).equals(Buffer.from(bytes)), 'the bytes read back differ from those written')
      const sum = await sbx.commands.run('sha256sum /home/user/data.bin')
      const { createHash } = await import('node:crypto')
      assert.equal(sum.stdout.split(' ')[0], createHash('sha256').update(bytes).digest('hex'))
    })

    await section('files-stream-upload', async () => {
      // A stream is sent as application/octet-stream (envd >= 0.5.7), not multipart.
      const bytes = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff)
      await sbx.files.write('/home/user/streamed.bin', new Blob([bytes]).stream())
      const back = await sbx.files.read('/home/user/streamed.bin', { format: 'bytes' })
      assert.ok(Buffer.from(back).equals(Buffer.from(bytes)), 'the streamed upload came back different')
    })

    await section('files-several', async () => {
      const written = await sbx.files.write([
        { path: '/home/user/several/a.txt', data: 'A' },
        { path: '/home/user/several/b.txt', data: 'BB' },
        { path: '/home/user/several/c.bin', data: new Uint8Array([0, 1, 2, 255]).buffer },
      ])
      assert.equal(written.length, 3, `write([...]) answered ${JSON.stringify(written)}`)
      assert.deepEqual(written.map((w) => w.path).sort(), ['/home/user/several/a.txt', '/home/user/several/b.txt', '/home/user/several/c.bin'])
      assert.equal(await sbx.files.read('/home/user/several/b.txt'), 'BB')
    })

    await section('files-list-exists-remove', async () => {
      const entries = await sbx.files.list('/home/user/several')
      assert.deepEqual(entries.map((e) => e.name).sort(), ['a.txt', 'b.txt', 'c.bin'])
      const a = entries.find((e) => e.name === 'a.txt')
      assert.equal(a.type, 'file')
      assert.equal(a.path, '/home/user/several/a.txt')
      assert.equal(a.size, 1)
      assert.equal(await sbx.files.exists('/home/user/several/a.txt'), true)
      assert.equal(await sbx.files.exists('/home/user/several'), true)
      assert.equal(await sbx.files.exists('/home/user/several/nope.txt'), false)
      await sbx.files.remove('/home/user/several/a.txt')
      assert.equal(await sbx.files.exists('/home/user/several/a.txt'), false)
      const info = await sbx.files.getInfo('/home/user/several')
      assert.equal(info.type, 'dir')
    })

    await section('files-dirs-and-rename', async () => {
      assert.equal(await sbx.files.makeDir('/home/user/made/deep'), true)
      assert.equal(await sbx.files.makeDir('/home/user/made/deep'), false, 'makeDir of an existing directory should answer false')
      await sbx.files.write('/home/user/made/deep/old.txt', 'moving')
      const moved = await sbx.files.rename('/home/user/made/deep/old.txt', '/home/user/made/new.txt')
      assert.equal(moved.path, '/home/user/made/new.txt')
      assert.equal(await sbx.files.read('/home/user/made/new.txt'), 'moving')
      assert.equal(await sbx.files.exists('/home/user/made/deep/old.txt'), false)
    })

    await section('files-watch-dir', async () => {
      await sbx.files.makeDir('/home/user/watched')
      const events = []
      const handle = await sbx.files.watchDir('/home/user/watched', (event) => events.push(event))
      try {
        await sbx.files.write('/home/user/watched/new.txt', 'seen')
        await waitFor(() => events.some((e) => e.name === 'new.txt' && (e.type === 'create' || e.type === 'write')), 'a watchDir event for new.txt')
      } finally {
        await handle.stop()
      }
    })

    await section('files-missing', async () => {
      await assert.rejects(sbx.files.read('/home/user/no-such-file.txt'), (error) => {
        assert.ok(error instanceof FileNotFoundError, `expected FileNotFoundError, got ${error?.name}: ${error?.message}`)
        assert.ok(error instanceof NotFoundError)
        return true
      })
      await assert.rejects(sbx.files.list('/home/user/no-such-dir'), (error) => {
        assert.ok(error instanceof NotFoundError, `list of a missing directory: ${error?.name}: ${error?.message}`)
        return true
      })
    })

    await section('connect-by-id', async () => {
      const same = await Sandbox.connect(sbx.sandboxId)
      assert.equal(same.sandboxId, sbx.sandboxId)
      const result = await same.commands.run('cat /home/user/hello.txt')
      assert.equal(result.stdout, 'hello from e2b\n')
    })

    await section('other-tenant', async () => {
      // Another tenant's key (SOULBOX_E2E_OTHER_API_KEY; E2B's SDK takes apiKey per call) must not find the sandbox.
      const apiKey = process.env.SOULBOX_E2E_OTHER_API_KEY
      assert.ok(apiKey, 'SOULBOX_E2E_OTHER_API_KEY is not set')
      await assert.rejects(Sandbox.connect(sbx.sandboxId, { apiKey }), (error) => {
        assert.ok(error instanceof NotFoundError, `connect with another tenant's key: ${error?.name}: ${error?.message}`)
        return true
      })
      assert.equal(await Sandbox.kill(sbx.sandboxId, { apiKey }), false, "another tenant's kill should answer 404")
      const paginator = Sandbox.list({ apiKey })
      const theirs = []
      while (paginator.hasNext) theirs.push(...(await paginator.nextItems()))
      assert.ok(!theirs.some((s) => s.sandboxId === sbx.sandboxId), "another tenant's list shows the sandbox")
      assert.equal(await sbx.isRunning(), true)
    })

    await section('set-timeout', async () => {
      await sbx.setTimeout(600_000)
      const info = await sbx.getInfo()
      assert.equal(info.sandboxId, sbx.sandboxId)
      const left = info.endAt.getTime() - Date.now()
      assert.ok(left > 300_000, `endAt ${info.endAt.toISOString()} is not ~10 minutes away after setTimeout(600_000)`)
    })

    await section('pause-refused', async () => {
      // SoulBox refuses pause with a reason (README, E2B drop-in); the sandbox keeps running.
      await assert.rejects(sbx.pause(), (error) => {
        assert.match(String(error?.message), /pause/i, `pause(): ${error?.name}: ${error?.message}`)
        return true
      })
      assert.equal(await sbx.isRunning(), true)
    })

    await section('list', async () => {
      const paginator = Sandbox.list()
      const found = []
      while (paginator.hasNext) found.push(...(await paginator.nextItems()))
      const mine = found.find((s) => s.sandboxId === sbx.sandboxId)
      assert.ok(mine, `Sandbox.list() lacks ${sbx.sandboxId}: ${JSON.stringify(found.map((s) => s.sandboxId))}`)
      assert.equal(mine.templateId, 'base')
      assert.deepEqual(mine.metadata, { purpose: 'soulbox-e2e' })
      assert.equal(mine.state, 'running')
    })

    await section('kill-and-is-running', async () => {
      assert.equal(await sbx.isRunning(), true)
      await sbx.kill()
      killed = true
      assert.equal(await sbx.isRunning(), false)
      assert.equal(await Sandbox.kill(sbx.sandboxId), false, 'killing a killed sandbox should answer false (404)')
      const paginator = Sandbox.list()
      const left = []
      while (paginator.hasNext) left.push(...(await paginator.nextItems()))
      assert.ok(!left.some((s) => s.sandboxId === sbx.sandboxId), 'a killed sandbox is still listed')
    })
  } finally {
    if (!killed) await sbx.kill().catch(() => undefined)
  }
})
