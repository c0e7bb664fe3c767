// The server session's public surface.
export * from './Input.js'
export * from './Output.js'
export * from './State.js'
export { init, type Connection } from './init.js'
export { answerProblem, step } from './step.js'
export { capabilities } from './commands/hello.js'
export { transitions, verbs, type Verb, type CommandPhase, type Target } from './sequencing.js'
export { renderStateDiagram } from './diagram.js'
