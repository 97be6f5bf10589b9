import { assertWebURL, type EmailBrand, type RenderedEmail, renderEmail } from './email-layout.js';

/**
 * The emails Pylon sends. Lifetimes default to the server's (magic and verification codes 10 min,
 * reset 30 min, invite 7 days); pass the configured value when it differs, so the email never promises more
 * time than the server gives. `brand` (the server's PYLON_BRAND_*) heads the HTML part and colours
 * its button; the magic code email also names the product by it.
 */

export function renderMagicCodeEmail(input: {
  code: string;
  appName: string;
  expiresInMinutes?: number;
  brand?: EmailBrand;
}): RenderedEmail {
  const minutes = input.expiresInMinutes ?? 10;
  return renderEmail(
    `Your ${input.appName} sign-in code`,
    [
      { kind: 'paragraph', text: `Use this code to sign in to ${input.appName}:` },
      { kind: 'code', code: input.code },
      { kind: 'paragraph', text: `It expires in ${minutes} minutes and works once.` },
      { kind: 'note', text: 'If you did not try to sign in, you can ignore this email.' },
    ],
    input.brand,
  );
}

export function renderPasswordResetEmail(input: {
  code: string;
  link?: string;
  expiresInMinutes?: number;
  brand?: EmailBrand;
}): RenderedEmail {
  const minutes = input.expiresInMinutes ?? 30;
  return renderEmail(
    'Reset your password',
    [
      { kind: 'paragraph', text: 'Use this code to reset your password:' },
      { kind: 'code', code: input.code },
      ...(input.link === undefined
        ? []
        : [{ kind: 'link' as const, label: 'Reset your password', href: assertWebURL(input.link, 'link') }]),
      { kind: 'paragraph', text: `It expires in ${minutes} minutes and works once.` },
      {
        kind: 'note',
        text: 'If you did not ask to reset your password, you can ignore this email; your password has not changed.',
      },
    ],
    input.brand,
  );
}

export function renderEmailVerificationEmail(input: {
  code: string;
  expiresInMinutes?: number;
  brand?: EmailBrand;
}): RenderedEmail {
  const minutes = input.expiresInMinutes ?? 10;
  return renderEmail(
    'Verify your email address',
    [
      { kind: 'paragraph', text: 'Use this code to verify your email address:' },
      { kind: 'code', code: input.code },
      { kind: 'paragraph', text: `It expires in ${minutes} minutes and works once.` },
      { kind: 'note', text: 'If you did not create an account, you can ignore this email.' },
    ],
    input.brand,
  );
}

export function renderInviteEmail(input: {
  orgName: string;
  acceptURL: string;
  role: string;
  expiresInDays?: number;
  brand?: EmailBrand;
}): RenderedEmail {
  const days = input.expiresInDays ?? 7;
  const article = /^[aeiou]/i.test(input.role) ? 'an' : 'a';
  return renderEmail(
    `You are invited to join ${input.orgName}`,
    [
      {
        kind: 'paragraph',
        text: `You have been invited to join ${input.orgName} as ${article} ${input.role}.`,
      },
      { kind: 'link', label: 'Accept the invitation', href: assertWebURL(input.acceptURL, 'acceptURL') },
      { kind: 'paragraph', text: `The invitation expires in ${days} days and works once.` },
      { kind: 'note', text: 'If you were not expecting this invitation, you can ignore this email.' },
    ],
    input.brand,
  );
}
