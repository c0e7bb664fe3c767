// Delivery status notifications (RFC 3464); see dsn.ts.
export * from './dsn.js'
