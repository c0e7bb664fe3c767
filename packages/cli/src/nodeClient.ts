// The Node client alone, for `smtpure send`: bundled, this module pulls in no server code.
export { connectSmtp } from '@smtpure/node'
