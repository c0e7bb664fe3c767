// `npm start` (until the command line tool exists): the classic conversation replayed through the
// server reducer, with a ten-line driver loop that shows the whole contract: feed bytes, send what
// it says to send, answer what it asks.
import { answered, encode, init, latin1, received, serverConfig, step } from '../src/index.js'
import type { ServerInput, ServerOutput, ServerState } from '../src/index.js'
import { classicAnswers, classicOptions, classicTranscript } from './classic.js'

const config = serverConfig(classicOptions)
if (config._tag === 'Left') throw new Error(config.left.errors.join('\n'))

const print = (prefix: string, text: string): void => {
  for (const line of text.split('\r\n').slice(0, -1)) console.log(`${prefix}${line}`)
}

const run = (state: ServerState, outputs: ReadonlyArray<ServerOutput>): ServerState => {
  let s = state
  for (const o of outputs) {
    if (o._tag === 'Send') print('S: ', latin1(o.bytes))
    if (o._tag === 'Close') console.log('   (server closes the connection)')
    if (o._tag === 'Ask') s = feed(s, answered(o.question.id, classicAnswers(o.question)))
  }
  return s
}

const feed = (s: ServerState, input: ServerInput): ServerState => {
  const [next, outputs] = step(s, input)
  return run(next, outputs)
}

const [first, greeting] = init(config.right)
let state = run(first, greeting)
for (const line of classicTranscript.filter((l) => l.startsWith('C:'))) {
  const text = line.slice(3)
  print('C: ', `${text}\r\n`)
  state = feed(state, received(encode(`${text}\r\n`)))
}
