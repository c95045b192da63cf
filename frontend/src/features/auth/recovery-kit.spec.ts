import { describe, expect, it } from '@jest/globals';
import { recoveryKitFileName, recoveryKitHtml } from './recovery-kit.js';

const kit = {
  email: 'avery+kit@example.org',
  recoveryCode: 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ23-4567-89AB',
  portalOrigin: 'https://records.example.org',
  createdAt: new Date('2026-12-05T10:00:00Z'),
};

describe('the recovery kit', () => {
  it('carries the email, the code, the date and where to use it', () => {
    const html = recoveryKitHtml(kit);
    expect(html).toContain('<dd data-field="email">avery+kit@example.org</dd>');
    expect(html).toContain('<p class="code" data-field="recovery-code">ABCD-EFGH-JKMN-PQRS-TVWX-YZ23-4567-89AB</p>');
    expect(html).toContain('2026-12-05');
    expect(html).toContain('https://records.example.org/recover');
  });

  it('is inert: no script runs, nothing is fetched, and text cannot become markup', () => {
    const html = recoveryKitHtml({ ...kit, email: '"><script>alert(1)</script>@example.org' });
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&#34;&#62;&#60;script&#62;');
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/(src|href)="http/);
  });

  it('names the file after the account and the day, in characters every file system takes', () => {
    expect(recoveryKitFileName(kit)).toBe('recovery-kit-avery_kit-example.org-2026-12-05.html');
  });
});
