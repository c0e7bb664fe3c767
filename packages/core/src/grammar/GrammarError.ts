// The error value every grammar parser returns: an SMTP reply code, an enhanced status code and a reply text.
// Codes follow RFC 5321 4.2.3 (501, 553, 555; 552 for a size over the limit, RFC 1870 6.1) and 4.1.1.11; enhanced codes follow RFC 3463 (X.1.3, X.1.7, X.5.x).

/**
 * Why a command argument was refused, ready to be turned into an SMTP reply.
 *
 * - `code`: 501 for syntax errors in arguments or parameter values, 555 for a parameter that is unknown or
 *   belongs to an extension that is not enabled, 553 for a mailbox name that is not allowed.
 * - `enhanced`: the RFC 3463 status code, e.g. `5.1.7` (bad sender address syntax), `5.1.3` (bad recipient
 *   address syntax), `5.5.4` (bad parameter), `5.5.2` (bad command syntax), `5.3.4` (a declared size that
 *   is well-formed but too big, with 552, RFC 1870 6.1).
 * - `text`: plain ASCII words with no CR or LF, saying what was expected or what is wrong.
 */
export interface GrammarError {
  readonly code: 501 | 552 | 553 | 555
  readonly enhanced: string
  readonly text: string
}
