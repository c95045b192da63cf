/**
 * The recovery kit: a small page to download, print and keep, with the account's
 * email, the recovery code and what to do with it. Made in the browser and handed
 * to it as a file (a blob URL): the code never goes to the server (DESIGN 4.2).
 */
export interface RecoveryKit {
  email: string;
  recoveryCode: string;
  /** Where the portal is, for the person who finds the kit later. */
  portalOrigin: string;
  createdAt: Date;
}

/** The kit as a self-contained HTML page: no scripts, no remote resources, printable on one sheet. */
export function recoveryKitHtml(kit: RecoveryKit): string {
  const date = kit.createdAt.toISOString().slice(0, 10);
  const recoverUrl = `${kit.portalOrigin}/recover`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Recovery kit for ${escapeHtml(kit.email)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #111; line-height: 1.5; }
  .code { font: 1.4rem/1.6 ui-monospace, monospace; letter-spacing: 0.05em; border: 2px solid #111; padding: 0.75rem 1rem; word-break: break-all; }
  dt { font-weight: 600; }
</style>
</head>
<body>
<h1>Health records: recovery kit</h1>
<dl>
  <dt>Account</dt><dd data-field="email">${escapeHtml(kit.email)}</dd>
  <dt>Made on</dt><dd>${date}</dd>
  <dt>Where to use it</dt><dd>${escapeHtml(recoverUrl)}</dd>
</dl>
<h2>Recovery code</h2>
<p class="code" data-field="recovery-code">${escapeHtml(kit.recoveryCode)}</p>
<h2>What it is for</h2>
<p>If you forget your password, this code is the only way back to your records: nobody else can reset it, because the service never holds your keys.
Open the address above, choose “Forgot your password?”, and enter your email, this code and a new password. You then get a new code, and this one stops working.</p>
<h2>How to keep it</h2>
<ul>
  <li>Print this page and keep it somewhere safe, or keep the file in a password manager.</li>
  <li>Do not send it by email or store it next to your password: anyone with the code and your email can set a new password.</li>
  <li>A newer kit replaces this one: destroy this page when you make a new one.</li>
</ul>
</body>
</html>
`;
}

/** The file name the download suggests, e.g. `recovery-kit-patient-example.org-2026-12-05.html`. */
export function recoveryKitFileName(kit: Pick<RecoveryKit, 'email' | 'createdAt'>): string {
  const account = kit.email.replace(/@/g, '-').replace(/[^A-Za-z0-9._-]+/g, '_');
  return `recovery-kit-${account}-${kit.createdAt.toISOString().slice(0, 10)}.html`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
