// Mail routing: turning the caller's DNS answers into the hosts and addresses to try.
// RFC 5321 5.1 and RFC 7505; see mx.ts for the details.
export * from './mx.js'
