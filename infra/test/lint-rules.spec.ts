/**
 * The static analysis in `npm test` (`npm run lint`, eslint.config.js) is only
 * worth its zero findings if its security rules are switched on for the code
 * that matters. Each case lints a snippet as if it were a real source file of
 * the backend or the portal and expects the named rule to refuse it.
 */
import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: root });

async function rulesBroken(code: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((message) => message.ruleId ?? message.message);
}

describe('eslint security rules', () => {
  it.each([
    ['Math.random for anything random (ASVS 6.3.1)', 'export const id = Math.random().toString(36);\n', 'backend/src/main.ts', 'no-restricted-properties'],
    ['eval of an expression', 'export function run(code: string): unknown {\n  return eval(code);\n}\n', 'backend/src/main.ts', 'security/detect-eval-with-expression'],
    ['a regular expression built from input', 'export function find(input: string): RegExp {\n  return new RegExp(input);\n}\n', 'backend/src/main.ts', 'security/detect-non-literal-regexp'],
    ['a child process started from a variable', "import { exec } from 'node:child_process';\nexport function run(command: string): void {\n  exec(command);\n}\n", 'backend/src/main.ts', 'security/detect-child-process'],
    ['innerHTML from data in the portal', 'export function show(element: HTMLElement, html: string): void {\n  element.innerHTML = html;\n}\n', 'frontend/src/main.tsx', 'no-unsanitized/property'],
    ['insertAdjacentHTML from data in the portal', "export function show(element: HTMLElement, html: string): void {\n  element.insertAdjacentHTML('beforeend', html);\n}\n", 'frontend/src/main.tsx', 'no-unsanitized/method'],
    // eslint-plugin-sonarjs: the unanchored bearer pattern it found in access-tokens.ts (~1 s of CPU for a 16 KB header), and a weak hash.
    ['a regular expression that backtracks super-linearly on request input', 'export function scheme(header: string): string | undefined {\n  return /(\\S+)\\s+(\\S+)/.exec(header)?.[1];\n}\n', 'backend/src/main.ts', 'sonarjs/super-linear-regex'],
    ['MD5 for anything', "import { createHash } from 'node:crypto';\nexport const digest = (text: string): string => createHash('md5').update(text).digest('hex');\n", 'backend/src/main.ts', 'sonarjs/hashing'],
    ['a promise nobody awaits', 'async function save(): Promise<void> {}\nexport function go(): void {\n  save();\n}\n', 'frontend/src/main.tsx', '@typescript-eslint/no-floating-promises'],
  ])('refuses %s', async (_name, code, file, rule) => {
    expect(await rulesBroken(code, file)).toContain(rule);
  });

  it('accepts the CSPRNG forms the code uses', async () => {
    const code = "import { randomBytes, randomUUID } from 'node:crypto';\nexport const token = randomBytes(32).toString('base64url');\nexport const id = randomUUID();\n";
    expect(await rulesBroken(code, 'backend/src/main.ts')).toEqual([]);
  });
});
