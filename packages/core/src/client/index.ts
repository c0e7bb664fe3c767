// The client session's public surface. Names are prefixed or distinct so that this module and the server's
// can both be re-exported from the package root without colliding.
export { clientInit } from './init.js'
export { clientStep } from './step.js'
export {
  ClientAuth,
  ClientAuthOptions,
  ClientConfig,
  ClientXclient,
  ClientOptions,
  ClientTimeouts,
  TlsPolicy,
  clientConfig,
  defaultClientTimeouts,
} from './Config.js'
export { ClientInput, type ClientEnvelope, type ClientMailParams, type ClientRecipient } from './Input.js'
export type {
  ClientError,
  ClientMisuse,
  ClientOutput,
  ClientTimer,
  DeliveryStatus,
  MessageResult,
  ClientReady,
  RecipientOutcome,
  RecipientResult,
  TransactionError,
} from './Output.js'
export type { ClientPhaseTag, ClientState, Phase as ClientPhase, Tx as ClientTransaction } from './State.js'
export { noCapabilities, parseCapabilities, type ServerCapabilities, type ServerLimits } from './capabilities.js'
export { splitEnvelope } from './limits.js'
export {
  readReply,
  replyParserInit,
  type ReadResult,
  type ReplyFault,
  type ReplyLimits,
  type ReplyParser,
} from './replyParser.js'
