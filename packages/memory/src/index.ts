// @smtpure/memory: an in-memory network with the driver's Transport, virtual time, and seeded,
// deterministic simulation of mail flow with faults.
export { MAX_SEED, Random } from './Random.js'
export { Scheduler, EPOCH_MS } from './Scheduler.js'
export { Trace, type TraceEvent } from './Trace.js'
export { MemoryTransport, HIGH_WATER, LINGER_MS } from './MemoryTransport.js'
export { MemoryNetwork, Connection, type Accept } from './MemoryNetwork.js'
export {
  FaultRates,
  LinkFaults,
  calmLinks,
  drawFaults,
  faultProblems,
  linkProblems,
  noFaults,
  profileNames,
  type ProfileName,
} from './faults.js'
export { Simulation, type Attempt, type SimMessage, type Summary } from './Simulation.js'
export { SimServer, readAll, type ServerSpec, type StoredMessage } from './SimServer.js'
export { type SimulationOptions, checkedOptions } from './SimulationOptions.js'
export { runDirect, FAULT_PHASE_MS, LIVENESS_MS } from './scenarios/direct.js'
export { runRelay, MAX_QUEUE_MS, RELAY_LIVENESS_MS } from './scenarios/relay.js'
export {
  replayLine,
  bugScenarios,
  MAX_PENDING,
  type PlantedBug,
  type RunOptions,
  type RunReport,
} from './scenarios/common.js'
export { mermaidSequence, svgSequence, type DiagramOptions } from './diagram.js'
