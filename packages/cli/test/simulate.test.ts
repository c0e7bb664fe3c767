// `smtpure simulate` as a user runs it: a run of seeds with its summary table, a replay of one seed
// with its diagram files, the replay line of a failing seed, and one-line usage errors (exit 64).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { maildir, runCli } from './cli.js'

// A run of hundreds of seeds takes seconds alone, and many times that on a machine busy with other work.
describe('smtpure simulate', { timeout: 120_000 }, () => {
  it('runs seeds on worker threads and prints the summary table', async () => {
    const out = await runCli(['simulate', '--seeds', '400', '--profile', 'faulty', '--workers', '2'])
    expect(out.stderr.match(/^400\/400 seeds$/gm)).toHaveLength(1)
    expect(out.code).toBe(0)
    expect(out.stdout).toMatch(/^scenario direct, profile faulty, seeds 1\.\.400, 2 workers\n/)
    expect(out.stdout).toMatch(/^ {2}seeds {12}400$/m)
    expect(out.stdout).toMatch(/^ {2}failed seeds {5}0$/m)
    for (const row of ['accepted', 'unknown', 'duplicates', 'resets', 'timeouts'])
      expect(out.stdout).toMatch(new RegExp(`^  ${row} +\\d+$`, 'm'))
  })

  it('gives the same counts in one thread as in two', async () => {
    const rows = (s: string) =>
      s
        .split('\n')
        .filter((l) => /^ {2}(?!time)/.test(l))
        .join('\n')
    const one = await runCli(['simulate', '--seeds', '300', '--scenario', 'relay', '--workers', '1'])
    const two = await runCli(['simulate', '--seeds', '300', '--scenario', 'relay', '--workers', '2'])
    expect(one.code).toBe(0)
    expect(rows(two.stdout)).toBe(rows(one.stdout))
  })

  it('replays one seed with the same trace hash, and writes its diagram as Mermaid and SVG', async () => {
    const dir = maildir()
    const file = join(dir, 'seed.mmd')
    const a = await runCli(['simulate', '--scenario', 'relay', '--profile', 'brutal', '--seed', '42', '--trace', file])
    const b = await runCli(['simulate', '--scenario', 'relay', '--profile', 'brutal', '--seed', '42'])
    expect(a.code).toBe(0)
    const hash = /trace hash +([0-9a-f]{16})/.exec(a.stdout)?.[1]
    expect(hash).toBeDefined()
    expect(b.stdout).toContain(`trace hash       ${hash}`)
    expect(readFileSync(file, 'utf8')).toMatch(/^sequenceDiagram\n {2}participant h0 as client\d\.example\.org\n/)
    expect(readFileSync(join(dir, 'seed.svg'), 'utf8')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  })

  it('prints the replay line of a seed that breaks an invariant, and exits 1', async () => {
    const out = await runCli([
      'simulate',
      '--seeds',
      '120',
      '--profile',
      'brutal',
      '--bug',
      'ack-before-store',
      '--workers',
      '1',
    ])
    expect(out.code).toBe(1)
    const seed = /^seed (\d+) broke:$/m.exec(out.stdout)?.[1]
    expect(seed).toBeDefined()
    expect(out.stdout).toContain(
      `replay: npx smtpure simulate --scenario direct --profile brutal --seed ${seed} --bug ack-before-store`,
    )
    const replay = await runCli(['simulate', '--profile', 'brutal', '--seed', seed!, '--bug', 'ack-before-store'])
    expect(replay.code).toBe(1)
    expect(replay.stdout).toContain(`seed ${seed} broke:`)
  })

  it('exits 73 with one line when the --trace file cannot be written', async () => {
    const file = join(maildir(), 'no-such-dir', 'seed.mmd')
    const out = await runCli(['simulate', '--seed', '1', '--trace', file])
    expect(out.code).toBe(73)
    expect(out.stderr).toMatch(new RegExp(`^smtpure: --trace: cannot write ${file}: ENOENT.*\n$`))
  })

  it('runs the last seed, 2^32 - 1, and says so in its range', async () => {
    const out = await runCli(['simulate', '--from', '4294967294', '--seeds', '2', '--workers', '1'])
    expect(out.code).toBe(0)
    expect(out.stdout).toMatch(/^scenario direct, profile faulty, seeds 4294967294\.\.4294967295, 1 worker\n/)
  })

  it.each([
    [['--profile', 'wild'], '--profile must be one of calm, faulty, brutal, got "wild"'],
    [['--seeds', 'many'], '--seeds needs a whole number, got "many"'],
    [['--trace', 'x.mmd'], '--trace needs --seed'],
    [['--seed', '1', '--seeds', '5'], '--seed replays one seed'],
    [['--scenario', 'mesh'], '--scenario must be one of direct, relay'],
    [['--seed', '1', '--seed', '2'], '--seed is given twice; it takes one value'],
    [['--profile', 'calm', '--profile', 'brutal'], '--profile is given twice; it takes one value'],
    [['--workers', '0', '--seeds', '2'], '--workers must be at least 1'],
    // the generator takes 32 bits of seed: 4294967297 ran exactly as 1
    [['--seed', '4294967296'], '--seed is at most 4294967295, got 4294967296'],
    [['--from', '9007199254740991', '--seeds', '2'], '--from is at most 4294967295, got 9007199254740991'],
    [['--from', '4294967295', '--seeds', '2'], '--from 4294967295 --seeds 2 would go past the last seed, 4294967295'],
    // a bug planted where the scenario runs none of its code ran clean and exited 0
    [['--bug', 'forget-queue'], '--bug forget-queue is planted in the relay scenario: give it with --scenario relay'],
    [
      ['--scenario', 'relay', '--bug', 'ack-before-store', '--seed', '3'],
      '--bug ack-before-store is planted in the direct scenario: give it with --scenario direct',
    ],
  ])('refuses %j in one line with exit 64', async (args, message) => {
    const out = await runCli(['simulate', ...args])
    expect(out.code).toBe(64)
    expect(out.stderr).toMatch(/^smtpure: .*\n$/)
    expect(out.stderr).toContain(message)
  })
})
