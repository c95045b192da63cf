import type { MigrationInterface, QueryRunner } from 'typeorm';
import { accountSearch, SHOWN_NAME } from './1766030000000-account-search-trigrams.js';

/** ς (final sigma) made σ after lower(): the form lower() gives a capital Σ wherever it stands. */
const withOneSigma = (lowered: string) => `translate(${lowered}, 'ς', 'σ')`;

/**
 * The auditors' account search (migration 1766030000000) lower-cased the names and the words
 * with the same lower(), but lower() maps a capital Σ to σ wherever it stands (PostgreSQL's
 * builtin and libc providers; ICU writes a final ς), while a name or a word typed in small
 * letters ends a Greek word in ς: 'ΟΔΥΣΣΈΑΣ' did not find 'Οδυσσέας', nor 'νικολαος'
 * 'ΝΙΚΟΛΑΟΣ'. Both sides now have every ς made σ after lower(); the trigram index is made
 * again on that expression. Otherwise unchanged.
 */
export class FinalSigmaSearch1766040000000 implements MigrationInterface {
  name = 'FinalSigmaSearch1766040000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP INDEX users_shown_name_trigrams;
      ${accountSearch(withOneSigma(SHOWN_NAME), (word) => withOneSigma(`lower(${word})`))}
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP INDEX users_shown_name_trigrams;
      ${accountSearch(SHOWN_NAME, (word) => `lower(${word})`)}
    `);
  }
}
