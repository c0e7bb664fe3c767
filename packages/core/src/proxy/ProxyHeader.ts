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

/** The client address a header gives: the source of a `Proxied` header, else undefined (use the real peer). */
export const proxiedAddress = (h: ProxyHeader): string | undefined =>
  h._tag === 'Proxied' ? (h.source.family === 'Unix' ? h.source.path : h.source.address) : undefined
