import { describe, expect, it } from 'vitest';
import { postedText } from '../../src/pages/posted-fields.js';

describe('postedText: what a refused form shows back', () => {
  it('keeps the typed text fields', () => {
    expect(postedText({ name: 'deploy script', expires: '2030-01-01', email: 'a@example.com' })).toEqual({
      name: 'deploy script',
      expires: '2030-01-01',
      email: 'a@example.com',
    });
  });

  it('never a secret or a credential, by the field name', () => {
    const shown = postedText({
      name: 'Acme',
      csrf: 't0k3n',
      password: 'hunter2 hunter2',
      current_password: 'old one',
      client_secret: 's3cr3t',
      code: '123456',
      user_code: 'ABCD-EFGH',
      token: 'pylon_abc',
    });
    expect(shown).toEqual({ name: 'Acme' });
  });

  it('leaves out what is not text, and a value longer than any field takes', () => {
    expect(postedText({ many: ['a', 'b'], long: 'x'.repeat(1001), fits: 'x'.repeat(1000) })).toEqual({
      fits: 'x'.repeat(1000),
    });
  });
});
