import { type EmailBrand, renderEmail } from '../../mail/email-layout.js';

export function renderEmailChangeCodeEmail(input: {
  code: string;
  expiresInMinutes: number;
  brand?: EmailBrand;
}) {
  return renderEmail(
    'Confirm your new email address',
    [
      { kind: 'paragraph', text: 'Use this code to make this the email address of your account:' },
      { kind: 'code', code: input.code },
      { kind: 'paragraph', text: `It expires in ${input.expiresInMinutes} minutes and works once.` },
      { kind: 'note', text: 'If you did not ask for this, you can ignore this email.' },
    ],
    input.brand,
  );
}

/** Sent to the old address once the change is done: the one warning its owner gets. */
export function renderEmailChangedNotice(brand?: EmailBrand) {
  return renderEmail(
    'Your email address was changed',
    [
      {
        kind: 'paragraph',
        text: 'The email address of your account was just changed, and this address no longer signs in to it.',
      },
      {
        kind: 'note',
        text: 'If you did not do this, contact your administrator at once: someone else may hold your account.',
      },
    ],
    brand,
  );
}
