// @smtpure/maildir: a Maildir store for smtpure servers, on node:fs (which Node, Bun and Deno all provide).
export {
  DeliveryAbortedError,
  type DeliveryOptions,
  type DeliverySignal,
  Maildir,
  MaildirDelivery,
  type MaildirOptions,
  type MaildirTarget,
  STALE_TMP_MS,
  StoreError,
  type StoreFile,
  maildirFolderName,
  makeDirectory,
  writeFully,
} from './Maildir.js'
export { FileSteps, type FileStepsOptions } from './FileSteps.js'
export { WorkerSteps } from './WorkerSteps.js'
