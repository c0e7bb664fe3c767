// The adapter of the runtime that runs these scripts, imported by its own name.
export const runtime = 'Bun' in globalThis ? 'bun' : 'Deno' in globalThis ? 'deno' : 'node'
export const adapter = await import(`@smtpure/${runtime}`)
