// piston-client 1.0.2 from npm (https://github.com/dthree/node-piston), used as its readme shows, against a node's
// Piston-compatible API (SOULBOX_URL). The client POSTs JSON with node-fetch's default text/plain content type.
import assert from 'node:assert/strict'
import piston from 'piston-client'
import { main, section } from './checks.mjs'

await main(async () => {
  const client = piston({ server: process.env.SOULBOX_URL })

  await section('piston-runtimes', async () => {
    const runtimes = await client.runtimes()
    assert.ok(Array.isArray(runtimes), `runtimes answered ${JSON.stringify(runtimes)}`)
    const python = runtimes.filter((r) => r.language === 'python')
    assert.equal(python.length, 1, `one python runtime expected: ${JSON.stringify(python)}`)
    assert.ok(python[0].aliases.includes('py'), `python's aliases: ${JSON.stringify(python[0].aliases)}`)
    assert.match(python[0].version, /^\d+\.\d+\.\d+$/)
  })

  await section('piston-execute', async () => {
    const result = await client.execute('python', 'import sys\nprint(sys.stdin.read().strip().upper(), sys.argv[1:])', { stdin: 'hi', args: ['a', 'b'] })
    assert.equal(result.language, 'python', JSON.stringify(result))
    assert.equal(result.run?.stdout, "HI ['a', 'b']\n", JSON.stringify(result))
    assert.equal(result.run.code, 0)
  })

  await section('piston-runtime-error', async () => {
    const result = await client.execute('python', 'import sys\nprint("bye", file=sys.stderr)\nsys.exit(3)')
    assert.equal(result.run?.code, 3, JSON.stringify(result))
    assert.equal(result.run.stderr, 'bye\n')
  })

  await section('piston-compile-error', async () => {
    const result = await client.execute('go', 'package main\nfunc main() { undefined() }')
    assert.ok(result.compile, `no compile stage: ${JSON.stringify(result)}`)
    assert.notEqual(result.compile.code, 0, JSON.stringify(result.compile))
    assert.match(result.compile.stderr + result.compile.stdout, /undefined/)
  })
})
