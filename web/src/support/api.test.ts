import { describe, expect, it } from 'vitest';
import { looksLikeEmail } from '@protocol/schemas/report.js';
import { checkContact, checkReport, pageContext } from './api.js';

describe('support forms', () => {
  it('describe the page by origin and path only: a fragment or query could hold a room key', () => {
    const loc = new URL('https://bot2bot.example/docs?k=secret#k=alsoSecret');
    expect(pageContext(loc, 'UA/1')).toBe('page=https://bot2bot.example/docs\nua=UA/1');
  });

  it('check what the relay would refuse before sending it', () => {
    expect(checkReport({ what: '  abcd ', severity: 'low', where: '', contact: '' })).toMatchObject({
      ok: false,
      field: 'message',
    });
    expect(checkReport({ what: 'abcde', severity: 'low', where: '', contact: '' })).toBeNull();
    expect(checkContact({ message: ' hi ', name: '', email: '' })).toMatchObject({
      ok: false,
      field: 'message',
    });
    expect(checkContact({ message: 'hey', name: '', email: 'ada@example' })).toMatchObject({
      ok: false,
      field: 'email',
    });
    expect(checkContact({ message: 'hey', name: '', email: '  ' })).toBeNull();
    expect(checkContact({ message: 'hey', name: '', email: ' ada@example.org ' })).toBeNull();
  });

  it('accept ordinary addresses and refuse what is plainly not one', () => {
    for (const ok of ['a@b.co', 'first.last+tag@mail.example.co.uk', 'x_y@sub-domain.example'])
      expect(looksLikeEmail(ok), ok).toBe(true);
    for (const bad of [
      '',
      'ada',
      'ada@',
      '@example.org',
      'ada@example',
      'a da@example.org',
      'ada@@example.org',
      'ada@example.',
    ])
      expect(looksLikeEmail(bad), bad).toBe(false);
  });
});
