import { describe, expect, it } from 'vitest';
import {
  escapeHTML,
  renderEmailVerificationEmail,
  renderInviteEmail,
  renderMagicCodeEmail,
  renderPasswordResetEmail,
} from '../../src/mail/index.js';

const HOSTILE = `<script>alert("x")</script> & 'quotes'`;
const HOSTILE_ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;';

describe('escapeHTML', () => {
  it('escapes the five significant characters', () => {
    expect(escapeHTML(HOSTILE)).toBe(HOSTILE_ESCAPED);
    expect(escapeHTML('plain')).toBe('plain');
  });
});

describe('renderMagicCodeEmail', () => {
  it('puts the code in both parts and names the app', () => {
    const email = renderMagicCodeEmail({ code: '004271', appName: 'Acme' });

    expect(email.subject).toBe('Your Acme sign-in code');
    expect(email.text).toContain('004271');
    expect(email.text).toContain('Acme');
    expect(email.text).toContain('10 minutes');
    expect(email.html).toContain('>004271</p>');
    expect(email.html.startsWith('<!doctype html>')).toBe(true);
    expect(email.html).toContain('<title>Your Acme sign-in code</title>');
  });

  it('keeps the code out of the subject, which shows on lock screens', () => {
    expect(renderMagicCodeEmail({ code: '004271', appName: 'Acme' }).subject).not.toContain('004271');
  });

  it('escapes interpolations in the html and leaves the text part literal', () => {
    const email = renderMagicCodeEmail({ code: '<b>1</b>', appName: HOSTILE });

    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<b>1</b>');
    expect(email.html).toContain(HOSTILE_ESCAPED);
    expect(email.html).toContain('&lt;b&gt;1&lt;/b&gt;');
    expect(email.text).toContain(HOSTILE);
  });

  it('states the configured lifetime', () => {
    expect(renderMagicCodeEmail({ code: '1', appName: 'A', expiresInMinutes: 5 }).text).toContain(
      '5 minutes',
    );
  });
});

describe('renderPasswordResetEmail', () => {
  it('renders the code, and the link when there is one', () => {
    const withoutLink = renderPasswordResetEmail({ code: '918273' });
    expect(withoutLink.subject).toBe('Reset your password');
    expect(withoutLink.text).toContain('918273');
    expect(withoutLink.text).toContain('30 minutes');
    expect(withoutLink.html).not.toContain('<a ');

    const link = 'https://auth.acme.test/reset?token=abc&email=ada%40example.com';
    const withLink = renderPasswordResetEmail({ code: '918273', link });
    expect(withLink.text).toContain(link);
    expect(withLink.html).toContain(
      'href="https://auth.acme.test/reset?token=abc&amp;email=ada%40example.com"',
    );
  });

  it.each(['javascript:alert(1)', 'data:text/html,<script>', 'not a url', '//evil.test/x'])(
    'refuses the link %j',
    (link) => {
      expect(() => renderPasswordResetEmail({ code: '1', link })).toThrow(TypeError);
    },
  );
});

describe('renderEmailVerificationEmail', () => {
  it('renders the code', () => {
    const email = renderEmailVerificationEmail({ code: '555123' });

    expect(email.subject).toBe('Verify your email address');
    expect(email.text).toContain('555123');
    expect(email.html).toContain('>555123</p>');
  });

  it("states the lifetime, the server's by default or the one given", () => {
    expect(renderEmailVerificationEmail({ code: '1' }).text).toContain(
      'It expires in 10 minutes and works once.',
    );
    expect(renderEmailVerificationEmail({ code: '1', expiresInMinutes: 5 }).html).toContain(
      'It expires in 5 minutes and works once.',
    );
  });
});

describe('renderInviteEmail', () => {
  const acceptURL = 'https://auth.acme.test/invites/tok_123/accept';

  it('names the org and the role and links to the acceptance page', () => {
    const email = renderInviteEmail({ orgName: 'Acme', acceptURL, role: 'admin' });

    expect(email.subject).toBe('You are invited to join Acme');
    expect(email.text).toContain('Acme as an admin');
    expect(email.text).toContain(acceptURL);
    expect(email.text).toContain('7 days');
    expect(email.html).toContain(`href="${acceptURL}"`);
    expect(renderInviteEmail({ orgName: 'Acme', acceptURL, role: 'member' }).text).toContain('as a member');
  });

  it('escapes a hostile org name and role', () => {
    const email = renderInviteEmail({ orgName: HOSTILE, acceptURL, role: '"><img src=x onerror=alert(1)>' });

    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<img');
    expect(email.html).toContain(HOSTILE_ESCAPED);
  });

  it('refuses an accept URL that is not http(s)', () => {
    expect(() =>
      renderInviteEmail({ orgName: 'Acme', acceptURL: 'javascript:alert(1)', role: 'member' }),
    ).toThrow(TypeError);
  });

  it('ends in a plain, well-formed document', () => {
    const { html } = renderInviteEmail({ orgName: 'Acme', acceptURL, role: 'member' });
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).not.toMatch(/<(script|style|iframe|img)\b/i);
  });
});
