// The public types as a user's compiler sees them: the built declaration files of the packages, read
// with the TypeScript compiler API. For each named type: its properties (only those the packages
// declare, not those inherited from `Error`), whether each is optional, the string literals it may
// take, the parameter names of a function (a hook), and the default its TSDoc states; for a union
// of tagged objects, its `_tag` values.
import { join } from 'node:path'
import ts from 'typescript'

export interface PublicProperty {
  readonly name: string
  readonly optional: boolean
  /** The type as the compiler prints it. */
  readonly type: string
  /** String literals the value (or each item of an array value) may be. */
  readonly literals: ReadonlyArray<string>
  /** Parameter names, when the property is a function. */
  readonly parameters: ReadonlyArray<string>
  /** What its TSDoc says in `(default X)`, when it says so. */
  readonly documentedDefault: string | undefined
}

export interface PublicType {
  /** `module.Name`, as named to `publicTypes`. */
  readonly name: string
  readonly properties: ReadonlyArray<PublicProperty>
  /** The `_tag` values, when the type is a union of tagged objects, with the other fields of each. */
  readonly tags: ReadonlyArray<{ readonly tag: string; readonly fields: ReadonlyArray<string> }>
}

const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  exactOptionalPropertyTypes: true,
  noEmit: true,
  skipLibCheck: true,
  types: ['node'],
}

/**
 * Read the named types (`'@smtpure/core'.ServerOptions` is written `{ module: '@smtpure/core', name:
 * 'ServerOptions' }`) from the packages installed in the workspace.
 * @throws Error when a name does not resolve to a type.
 */
export const publicTypes = (
  workspaceRoot: string,
  names: ReadonlyArray<{ readonly module: string; readonly name: string }>,
): Map<string, PublicType> => {
  const modules = [...new Set(names.map((n) => n.module))]
  const alias = (module: string) => `m${modules.indexOf(module)}`
  // A module of this package's folder, so that the packages resolve as the workspace installs them.
  const entry = join(workspaceRoot, 'packages', 'packaging', 'test', '__public_types__.ts')
  const source = [
    ...modules.map((m) => `import type * as ${alias(m)} from '${m}'`),
    ...names.map((n, i) => `export type T${i} = ${alias(n.module)}.${n.name}`),
  ].join('\n')
  const host = ts.createCompilerHost(compilerOptions)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (file, language, ...rest) =>
    file === entry ? ts.createSourceFile(file, source, language) : getSourceFile(file, language, ...rest)
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (file) => file === entry || fileExists(file)
  const program = ts.createProgram([entry], compilerOptions, host)
  const problems = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === entry)
  if (problems.length > 0)
    throw new Error(problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'))
  const checker = program.getTypeChecker()
  const file = program.getSourceFile(entry)!
  const result = new Map<string, PublicType>()
  const aliases = file.statements.filter(ts.isTypeAliasDeclaration)
  names.forEach((n, i) => {
    const declaration = aliases[i]!
    const type = checker.getTypeAtLocation(declaration.name)
    // a union (`Credentials`, one shape per mechanism) has the properties of each of its members; those
    // they share come first, typed as the union of their types
    const members = type.isUnion() ? [type, ...type.types] : [type]
    const byName = new Map<string, ts.Symbol>()
    for (const m of members)
      for (const p of checker.getPropertiesOfType(m)) if (!byName.has(p.name)) byName.set(p.name, p)
    const own = [...byName.values()].filter((p) =>
      (p.declarations ?? []).some((d) => !d.getSourceFile().fileName.includes('/node_modules/')),
    )
    const tags = type.isUnion()
      ? type.types.flatMap((member) => {
          const tag = member.getProperty('_tag')
          const t = tag && checker.getTypeOfSymbol(tag)
          const fields = checker
            .getPropertiesOfType(member)
            .map((p) => p.name)
            .filter((f) => f !== '_tag')
          return t?.isStringLiteral() ? [{ tag: t.value, fields }] : []
        })
      : []
    result.set(`${n.module}.${n.name}`, {
      name: `${n.module}.${n.name}`,
      tags,
      properties: own.map((p) => describe(checker, p, declaration)),
    })
  })
  return result
}

const stringLiterals = (checker: ts.TypeChecker, type: ts.Type): string[] => {
  const t = checker.getNonNullableType(type)
  const members = t.isUnion() ? t.types : [t]
  if (members.every((m) => m.isStringLiteral())) return members.map((m) => (m as ts.StringLiteralType).value)
  // an array of literals (`authMechanisms`)
  if (members.length === 1 && checker.isArrayType(t)) {
    const item = checker.getTypeArguments(t as ts.TypeReference)[0]
    return item === undefined ? [] : stringLiterals(checker, item)
  }
  return []
}

/** Parameter names of a function type; a rest parameter of a labelled tuple (`Hook<[session: SessionInfo]>`) gives its labels. */
const parameterNames = (checker: ts.TypeChecker, type: ts.Type, at: ts.Node): string[] => {
  const signature = checker.getNonNullableType(type).getCallSignatures()[0]
  if (signature === undefined) return []
  return signature.getParameters().flatMap((p) => {
    const declaration = p.valueDeclaration
    if (declaration !== undefined && ts.isParameter(declaration) && declaration.dotDotDotToken !== undefined) {
      const rest = checker.getTypeOfSymbolAtLocation(p, at)
      const target = (rest as ts.TypeReference).target as ts.TupleType | undefined
      const labels = target?.labeledElementDeclarations ?? []
      return labels.flatMap((l) => (l !== undefined && ts.isNamedTupleMember(l) ? [l.name.text] : []))
    }
    return [p.name]
  })
}

const describe = (checker: ts.TypeChecker, p: ts.Symbol, at: ts.Node): PublicProperty => {
  const type = checker.getTypeOfSymbolAtLocation(p, at)
  const doc = ts.displayPartsToString(p.getDocumentationComment(checker))
  const stated = /\(default:? ([^;)]+)[;)]/.exec(doc)
  return {
    name: p.name,
    optional: (p.flags & ts.SymbolFlags.Optional) !== 0,
    type: checker.typeToString(checker.getNonNullableType(type)),
    literals: stringLiterals(checker, type),
    parameters: parameterNames(checker, type, at),
    documentedDefault: stated?.[1]?.trim(),
  }
}

/** The names each package exports (values and types), as its declaration files give them. */
export const moduleExports = (workspaceRoot: string, modules: ReadonlyArray<string>): Map<string, Set<string>> => {
  const entry = join(workspaceRoot, 'packages', 'packaging', 'test', '__module_exports__.ts')
  const source = modules.map((m, i) => `import type * as m${i} from '${m}'\nexport type { m${i} }\n`).join('')
  const host = ts.createCompilerHost(compilerOptions)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (file, language, ...rest) =>
    file === entry ? ts.createSourceFile(file, source, language) : getSourceFile(file, language, ...rest)
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (file) => file === entry || fileExists(file)
  const program = ts.createProgram([entry], compilerOptions, host)
  const checker = program.getTypeChecker()
  const imports = program.getSourceFile(entry)!.statements.filter(ts.isImportDeclaration)
  return new Map(
    modules.map((m, i) => {
      const symbol = checker.getSymbolAtLocation(imports[i]!.moduleSpecifier)
      if (symbol === undefined) throw new Error(`${m} does not resolve`)
      return [m, new Set(checker.getExportsOfModule(symbol).map((s) => s.name))]
    }),
  )
}
