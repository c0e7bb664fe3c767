// Lint rules for the whole workspace. The core package gets extra rules that keep it pure:
// no runtime modules, no clock, no randomness (docs/architecture.md, "Purity").
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const runtimeModules = [
  'node:*',
  'fs',
  'fs/*',
  'net',
  'tls',
  'crypto',
  'os',
  'path',
  'child_process',
  'timers',
  'buffer',
]

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // a CommonJS module (the command's entry point) loads what it needs with require
    files: ['**/*.cts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // plain JavaScript scripts (benchmarks) run on Node
    files: ['**/*.mjs'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'console',
          'process',
          'performance',
          'globalThis',
          'Buffer',
          'URL',
          'TextEncoder',
          'TextDecoder',
          'setTimeout',
          'clearTimeout',
          'setImmediate',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // a simulation draws every choice from its seed and keeps virtual time: no randomness, no wall clock
    files: ['packages/memory/src/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'simulations draw from their seed (Random).' },
        { object: 'Date', property: 'now', message: 'simulations run on virtual time (Scheduler).' },
        { object: 'performance', property: 'now', message: 'simulations run on virtual time (Scheduler).' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date']", message: 'simulations run on virtual time (Scheduler).' },
      ],
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: runtimeModules, message: 'packages/core is pure: no runtime modules.' }] },
      ],
      'no-restricted-globals': [
        'error',
        ...[
          'process',
          'Buffer',
          'setTimeout',
          'setInterval',
          'setImmediate',
          'clearTimeout',
          'performance',
          'crypto',
          'Deno',
          'Bun',
          'fetch',
          'queueMicrotask',
        ].map((name) => ({ name, message: 'packages/core is pure: no runtime globals, clocks or timers.' })),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'packages/core is pure: randomness comes in as input.' },
        { object: 'Date', property: 'now', message: 'packages/core is pure: time comes in as input.' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date']", message: 'packages/core is pure: time comes in as input.' },
      ],
    },
  },
)
