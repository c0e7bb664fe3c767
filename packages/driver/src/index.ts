// @smtpure/driver: runs smtpure sessions over any runtime's Transport.
export * from './Transport.js'
export * from './hooks.js'
export { ChunkStream, MessageAbortedError } from './ChunkStream.js'
export { runServerSession, startServerSession, type ServerSession, type ServerSessionOptions } from './ServerDriver.js'
export {
  SmtpClientError,
  describeClientError,
  startClientSession,
  type ClientSession,
  type SentMessage,
  type ClientSessionOptions,
  type MessageBody,
  type OutgoingMessage,
} from './ClientDriver.js'
export {
  type Admission,
  type Admitted,
  ConnectionGate,
  type ConnectionLimits,
  defaultConnectionLimits,
  addressKey,
  isLoopback,
} from './ConnectionGate.js'
export {
  type ConnectOptions,
  type ListenAddress,
  type SessionPool,
  type SmtpServer,
  type SmtpServerOptions,
  type SmtpServerSessionOptions,
  type SmtpClientSessionOptions,
  type TlsFiles,
  type OptionKeys,
  clientConfigOf,
  connectConfigOf,
  clientSessionOptionsOf,
  hooksOf,
  loggedTransport,
  optionKeys,
  serverConfigOf,
  serverOptionKeys,
  sessionPool,
} from './adapter.js'
export { OptionsError, kindOf, shown, typeProblems, unknownKeys } from './options.js'
export { reporter } from './aside.js'
export {
  type ClientEvent,
  type LogMethod,
  type Logger,
  type ServerEvent,
  clientEvents,
  loggedHooks,
  replyLine,
  serverEvents,
} from './logging.js'
export { queueIdOf } from './clientLogging.js'
export { type Direction, REDACTED, Transcript, type TranscriptSink, transcribed } from './transcript.js'
