// The PROXY protocol header (HAProxy's specification, versions 1 and 2): what a load balancer in
// front of the server says about the connection it relays. Types only; see v1.ts, v2.ts, scan.ts.

/** One end of the relayed connection. Addresses are text: dotted IPv4, RFC 5952 IPv6, or a UNIX path. */
export type ProxyEndpoint =
  | { readonly family: 'IPv4' | 'IPv6'; readonly address: string; readonly port: number }
  | { readonly family: 'Unix'; readonly path: string }

/** A version 2 type-length-value vector (PROXY protocol 2.2), as read: `type` 0..255, `value` raw octets. */
export interface ProxyTlv {
  readonly type: number
  readonly value: Uint8Array
}

/**
 * A parsed header.
 * - `Proxied`: the connection was made on behalf of `source`; use it as the client (PROXY protocol 2.1, 2.2).
 * - `Local`: use the real connection's endpoints: v2 LOCAL (health checks), v1 UNKNOWN, or a v2 PROXY with an
 *   unspecified family or transport (PROXY protocol 2.1, 2.2). `reason` says which.
 */
export type ProxyHeader =
  | {
      readonly _tag: 'Proxied'
      readonly version: 1 | 2
      readonly transport: 'stream' | 'dgram'
      readonly source: ProxyEndpoint
      readonly destination: ProxyEndpoint
      readonly tlvs: ReadonlyArray<ProxyTlv>
    }
  | {
      readonly _tag: 'Local'
      readonly version: 1 | 2
      readonly reason: 'local' | 'unknown' | 'unspecified'
      readonly tlvs: ReadonlyArray<ProxyTlv>
    }

/** A header that does not follow the specification; `reason` is one line for a log. */
export interface ProxyError {
  readonly _tag: 'ProxyError'
  readonly reason: string
}

export const proxyError = (reason: string): ProxyError => ({ _tag: 'ProxyError', reason })

/** An IPv4 or IPv6 endpoint: an address and a port. */
export type IpEndpoint = Extract<ProxyEndpoint, { readonly port: number }>

/**
 * The endpoints an SMTP server takes from a header: those of a `Proxied` header for TCP over IPv4 or IPv6. For
 * anything else (a `Local` header, UDP, UNIX sockets) undefined: use the real connection's, as a receiver falls
 * back to UNSPEC for the combinations it does not support (PROXY protocol 2.2). The header stays available as is.
 * @example
 * relayedEndpoints(header)?.source.address // '192.0.2.7', or undefined for a UNIX socket's path
 */
export const relayedEndpoints = (
  h: ProxyHeader,
): { readonly source: IpEndpoint; readonly destination: IpEndpoint } | undefined =>
  h._tag === 'Proxied' && h.transport === 'stream' && h.source.family !== 'Unix' && h.destination.family !== 'Unix'
    ? { source: h.source, destination: h.destination }
    : undefined

/** The client address a header gives (see `relayedEndpoints`), else undefined: use the real peer's. */
export const proxiedAddress = (h: ProxyHeader): string | undefined => relayedEndpoints(h)?.source.address
