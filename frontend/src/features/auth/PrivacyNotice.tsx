import { PRIVACY_NOTICE_VERSION } from '@phr/shared-types';

/**
 * What the service stores and what it never sees, in plain words, before an
 * account exists (ASVS 8.3.3, GDPR Art. 7 and 13). A change of this text
 * needs a new PRIVACY_NOTICE_VERSION: the API records which one was accepted.
 */
export function PrivacyNotice() {
  return (
    <section className="privacy-notice" aria-labelledby="privacy-notice-title" data-version={PRIVACY_NOTICE_VERSION}>
      <h2 id="privacy-notice-title">Privacy notice</h2>
      <p>
        <strong>What we store in readable form:</strong> your email address, your name, your role (and a doctor’s specialty), and an audit
        trail of what happens on your account and your records: the time, the action, the record it concerns, the IP address and the browser
        (user agent) it came from. We also see how many records you have, their sizes and dates, and which doctor may read which record.
      </p>
      <p>
        <strong>What never leaves this browser unencrypted:</strong> your password, your recovery code, your keys, and the contents, names,
        titles, notes and types of your files and the names of your folders. We cannot read them, and so we cannot reset your password.
      </p>
      <p>
        <strong>Why and for how long:</strong> to keep your records for you, to let the doctors you choose read them, and to show you who did
        what. You can export everything and delete your account at any time from your account page. Version {PRIVACY_NOTICE_VERSION}.
      </p>
    </section>
  );
}
