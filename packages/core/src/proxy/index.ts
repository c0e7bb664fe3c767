// The PROXY protocol (HAProxy's specification, versions 1 and 2): pure parsers and a resumable scanner.
export * from './ProxyHeader.js'
export { parseProxyV1, V1_MAX_LINE } from './v1.js'
export { parseProxyV2, proxyTlvInfo, crc32c, Pp2Type, V2_SIGNATURE, V2_FIXED, type ProxyTlvInfo } from './v2.js'
export * from './scan.js'
export { formatIPv6, parseIPv6, parseIPv4 } from './address.js'
