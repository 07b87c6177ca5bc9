import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import {
  statusAfterEvent,
  TEMPLATE_EVENTS,
  TEMPLATE_STATUSES,
  templateDefinitionIssues,
  templateParameterIssues,
  templateSlots,
  type TemplateSlots,
  type TemplateStatus,
} from './whatsapp-templates.js';

const FIXTURES = new URL('../../../../test/fixtures/providers/', import.meta.url);
const fixture = (name: string): any => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

/** Meta's MARKETING create request: TEXT header {{1}}, body {{1}}..{{3}}, footer, 2 quick replies. */
const marketing = () => fixture('whatsapp-template-create-request.json');
/** Meta's AUTHENTICATION create request: body, footer with code_expiration_minutes, one OTP button. */
const authentication = () => fixture('whatsapp-template-create-request-authentication.json');

/** The marketing fixture with one component replaced (by its position in the fixture). */
function withComponent(index: number, component: unknown): any {
  const body = marketing();
  body.components[index] = component;
  return body;
}

const fields = (body: unknown) => templateDefinitionIssues(body).map((issue) => issue.field);

describe(templateDefinitionIssues.name, () => {
  it("should accept both of Meta's create-request fixtures", () => {
    expect(templateDefinitionIssues(marketing())).toEqual([]);
    expect(templateDefinitionIssues(authentication())).toEqual([]);
  });

  it('should accept lower-case component and button types', () => {
    const body = marketing();
    body.components = body.components.map((c: any) => ({
      ...c,
      type: c.type.toLowerCase(),
      ...(c.buttons ? { buttons: c.buttons.map((b: any) => ({ ...b, type: b.type.toLowerCase() })) } : {}),
    }));
    expect(templateDefinitionIssues(body)).toEqual([]);
  });

  it('should accept a UTILITY template of the list fixture and a NAMED template with its examples', () => {
    const listed = fixture('whatsapp-template-list-response.json').data[1];
    expect(
      templateDefinitionIssues({
        name: listed.name,
        language: listed.language,
        category: 'UTILITY',
        components: listed.components,
      }),
    ).toEqual([]);
    expect(
      templateDefinitionIssues({
        name: 'order_ready',
        language: 'pt_BR',
        category: 'UTILITY',
        parameter_format: 'NAMED',
        components: [
          {
            type: 'BODY',
            text: 'Hi {{first_name}}, order {{order_id}} is ready. Thanks {{first_name}}!',
            example: {
              body_text_named_params: [
                { param_name: 'first_name', example: 'Ana' },
                { param_name: 'order_id', example: '1001' },
              ],
            },
          },
        ],
      }),
    ).toEqual([]);
  });

  it('should accept media and location headers, a URL button with {{1}} at the end and a phone button', () => {
    expect(
      templateDefinitionIssues({
        name: 'order_shipped',
        language: 'en_US',
        category: 'UTILITY',
        components: [
          { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2UvanBlZw==:ARZ'] } },
          { type: 'BODY', text: 'Order {{1}} has shipped.', example: { body_text: [['1001']] } },
          {
            type: 'BUTTONS',
            buttons: [
              {
                type: 'URL',
                text: 'Track',
                url: 'https://track.example/{{1}}',
                example: ['https://track.example/1001'],
              },
              { type: 'URL', text: 'Help', url: 'https://help.example/' },
              { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+15550783881' },
            ],
          },
        ],
      }),
    ).toEqual([]);
    const location = withComponent(0, { type: 'HEADER', format: 'LOCATION' });
    expect(templateDefinitionIssues(location)).toEqual([]);
  });

  it.each<[string, () => unknown, string]>([
    ['a name with capitals', () => ({ ...marketing(), name: 'Seasonal-Promo' }), 'name'],
    ['a name too long', () => ({ ...marketing(), name: 'a'.repeat(513) }), 'name'],
    ['a bad language', () => ({ ...marketing(), language: 'english' }), 'language'],
    ['an unknown category', () => ({ ...marketing(), category: 'PROMOTION' }), 'category'],
    ['a bad parameter_format', () => ({ ...marketing(), parameter_format: 'NUMBERED' }), 'parameter_format'],
    ['no components', () => ({ ...marketing(), components: [] }), 'components'],
    [
      'no BODY',
      () => ({ ...marketing(), components: marketing().components.filter((c: any) => c.type !== 'BODY') }),
      'components',
    ],
    [
      'two BODYs',
      () => ({ ...marketing(), components: [...marketing().components, marketing().components[1]] }),
      'components[4].type',
    ],
    ['an unknown component type', () => withComponent(2, { type: 'SIGNATURE', text: 'x' }), 'components[2].type'],
    ['a component that is not an object', () => withComponent(2, 'FOOTER'), 'components[2]'],
    [
      'a header placeholder without its example',
      () => withComponent(0, { type: 'HEADER', format: 'TEXT', text: 'Our {{1}} is on!' }),
      'components[0].example.header_text',
    ],
    [
      'a header with two placeholders',
      () =>
        withComponent(0, { type: 'HEADER', format: 'TEXT', text: '{{1}} {{2}}', example: { header_text: ['a', 'b'] } }),
      'components[0].text',
    ],
    [
      'a header longer than 60',
      () => withComponent(0, { type: 'HEADER', format: 'TEXT', text: 'x'.repeat(61) }),
      'components[0].text',
    ],
    [
      'an image header without a handle',
      () => withComponent(0, { type: 'HEADER', format: 'IMAGE' }),
      'components[0].example.header_handle',
    ],
    ['an unknown header format', () => withComponent(0, { type: 'HEADER', format: 'AUDIO' }), 'components[0].format'],
    ['a body without text', () => withComponent(1, { type: 'BODY' }), 'components[1].text'],
    ['a body longer than 1024', () => withComponent(1, { type: 'BODY', text: 'x'.repeat(1025) }), 'components[1].text'],
    [
      'a gap in the body placeholders',
      () => withComponent(1, { type: 'BODY', text: 'Hi {{1}} and {{3}}', example: { body_text: [['a', 'b']] } }),
      'components[1].text',
    ],
    [
      'a huge placeholder number (quickly)',
      () => withComponent(1, { type: 'BODY', text: 'Hi {{1}} {{999999999999}}', example: { body_text: [['a', 'b']] } }),
      'components[1].text',
    ],
    [
      'body placeholders numbered from 0',
      () => withComponent(1, { type: 'BODY', text: 'Hi {{0}}', example: { body_text: [['a']] } }),
      'components[1].text',
    ],
    [
      'too few body examples',
      () => withComponent(1, { type: 'BODY', text: 'Hi {{1}}, {{2}} and {{3}}', example: { body_text: [['a', 'b']] } }),
      'components[1].example.body_text',
    ],
    [
      'body examples not nested',
      () => withComponent(1, { type: 'BODY', text: 'Hi {{1}}', example: { body_text: ['a'] } }),
      'components[1].example.body_text',
    ],
    [
      'numbered and named placeholders mixed',
      () => withComponent(1, { type: 'BODY', text: 'Hi {{1}} {{name}}', example: { body_text: [['a']] } }),
      'components[1].text',
    ],
    [
      'named placeholders in a POSITIONAL template',
      () => withComponent(1, { type: 'BODY', text: 'Hi {{name}}' }),
      'components[1].text',
    ],
    [
      'a NAMED body without an example for each name',
      () => ({
        ...marketing(),
        parameter_format: 'NAMED',
        components: [
          {
            type: 'BODY',
            text: 'Hi {{first_name}}, code {{code}}',
            example: { body_text_named_params: [{ param_name: 'first_name', example: 'Ana' }] },
          },
        ],
      }),
      'components[0].example.body_text_named_params',
    ],
    [
      'a malformed placeholder',
      () => withComponent(1, { type: 'BODY', text: 'Hi {{First Name}}' }),
      'components[1].text',
    ],
    ['a footer placeholder', () => withComponent(2, { type: 'FOOTER', text: 'Bye {{1}}' }), 'components[2].text'],
    ['a footer longer than 60', () => withComponent(2, { type: 'FOOTER', text: 'x'.repeat(61) }), 'components[2].text'],
    ['no buttons in BUTTONS', () => withComponent(3, { type: 'BUTTONS', buttons: [] }), 'components[3].buttons'],
    [
      'eleven buttons',
      () => withComponent(3, { type: 'BUTTONS', buttons: Array(11).fill({ type: 'QUICK_REPLY', text: 'Stop' }) }),
      'components[3].buttons',
    ],
    [
      'a button label longer than 25',
      () => withComponent(3, { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'x'.repeat(26) }] }),
      'components[3].buttons[0].text',
    ],
    [
      'an unknown button type',
      () => withComponent(3, { type: 'BUTTONS', buttons: [{ type: 'SHARE', text: 'Share' }] }),
      'components[3].buttons[0].type',
    ],
    [
      'a URL placeholder not at the end',
      () =>
        withComponent(3, {
          type: 'BUTTONS',
          buttons: [
            { type: 'URL', text: 'Open', url: 'https://x.example/{{1}}/view', example: ['https://x.example/a/view'] },
          ],
        }),
      'components[3].buttons[0].url',
    ],
    [
      'a URL that is not http(s)',
      () => withComponent(3, { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Open', url: 'ftp://x.example/' }] }),
      'components[3].buttons[0].url',
    ],
    [
      'a URL placeholder without its example',
      () =>
        withComponent(3, { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Open', url: 'https://x.example/{{1}}' }] }),
      'components[3].buttons[0].example',
    ],
    [
      'a phone button without a number',
      () => withComponent(3, { type: 'BUTTONS', buttons: [{ type: 'PHONE_NUMBER', text: 'Call' }] }),
      'components[3].buttons[0].phone_number',
    ],
    [
      'an OTP button in a MARKETING template',
      () => withComponent(3, { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy' }] }),
      'components[3].buttons[0].type',
    ],
    [
      'text in an AUTHENTICATION body',
      () => {
        const body = authentication();
        body.components[0].text = 'Your code is {{1}}';
        return body;
      },
      'components[0].text',
    ],
    [
      'an AUTHENTICATION expiry out of range',
      () => {
        const body = authentication();
        body.components[1].code_expiration_minutes = 91;
        return body;
      },
      'components[1].code_expiration_minutes',
    ],
    [
      'an AUTHENTICATION template with a quick reply',
      () => {
        const body = authentication();
        body.components[2].buttons.push({ type: 'QUICK_REPLY', text: 'Not me' });
        return body;
      },
      'components[2].buttons[1].type',
    ],
    [
      'an AUTHENTICATION template without its OTP button',
      () => ({ ...authentication(), components: authentication().components.slice(0, 2) }),
      'components',
    ],
    [
      'an unknown otp_type',
      () => {
        const body = authentication();
        body.components[2].buttons[0].otp_type = 'SMS';
        return body;
      },
      'components[2].buttons[0].otp_type',
    ],
  ])('should refuse %s', (_, body, field) => {
    expect(fields(body())).toContain(field);
  });

  it('should name the missing placeholders of a gap', () => {
    expect(templateDefinitionIssues(withComponent(1, { type: 'BODY', text: 'Hi {{1}} and {{4}}' }))).toContainEqual({
      field: 'components[1].text',
      issue: 'placeholders must be numbered from {{1}} without gaps: {{2}}, {{3}} are missing',
    });
  });

  it('should report every problem at once', () => {
    expect(
      fields({
        name: 'Bad Name',
        language: 'x',
        category: 'NOPE',
        components: [{ type: 'FOOTER', text: '{{1}}' }, null],
      }),
    ).toEqual(['name', 'language', 'category', 'components[0].text', 'components[1]', 'components']);
  });

  it.each([
    ['null', null],
    ['a number', 42],
    ['a string', 'x'],
    ['a list', [1, 2]],
    [
      'nested junk',
      {
        name: 7,
        language: null,
        category: [],
        components: [
          null,
          42,
          'x',
          [],
          { type: 9 },
          { type: 'BUTTONS', buttons: [null, 3, { type: 'URL', url: 5 }] },
          { type: 'HEADER', format: {}, example: 'x' },
          { type: 'BODY', text: {}, example: [] },
        ],
      },
    ],
    [
      'junk in the right places',
      { name: 'a', language: 'en', category: 'MARKETING', parameter_format: 3, components: { 0: 'x' } },
    ],
  ])('should never throw, and report issues, for %s', (_, body) => {
    expect(() => templateDefinitionIssues(body)).not.toThrow();
    expect(templateDefinitionIssues(body).length).toBeGreaterThan(0);
    for (const issue of templateDefinitionIssues(body)) {
      expect(typeof issue.field).toBe('string');
      expect(typeof issue.issue).toBe('string');
    }
  });
});

describe(templateSlots.name, () => {
  it('should read the slots of the MARKETING create-request fixture', () => {
    const { category, components } = marketing();
    expect(templateSlots(category, components)).toEqual({ header: 1, body: 3, buttons: ['optional', 'optional'] });
  });

  it("should read the slots of the templates Meta lists, in Meta's list format", () => {
    const [hello, promo] = fixture('whatsapp-template-list-response.json').data;
    expect(templateSlots(hello.category, hello.components)).toEqual({ header: 0, body: 0, buttons: [] });
    expect(templateSlots(promo.category, promo.components, 'POSITIONAL')).toEqual({
      header: 0,
      body: 2,
      buttons: ['optional'],
    });
  });

  it('should give an AUTHENTICATION template one body parameter (the code) and a required OTP button', () => {
    const { category, components } = authentication();
    expect(templateSlots(category, components)).toEqual({ header: 0, body: 1, buttons: ['required'] });
  });

  it('should count distinct placeholders, list sorted names for NAMED, and need media and location headers', () => {
    expect(
      templateSlots(
        'UTILITY',
        [
          { type: 'HEADER', format: 'VIDEO' },
          { type: 'BODY', text: '{{2}} then {{1}} then {{2}}' },
          {
            type: 'BUTTONS',
            buttons: [
              { type: 'URL', url: 'https://x.example/{{1}}' },
              { type: 'URL', url: 'https://x.example/' },
              { type: 'COPY_CODE' },
              { type: 'PHONE_NUMBER', phone_number: '+1' },
              null,
            ],
          },
        ],
        'POSITIONAL',
      ),
    ).toEqual({ header: 1, body: 2, buttons: ['required', 'none', 'required', 'none', 'none'] });
    expect(
      templateSlots('MARKETING', [{ type: 'BODY', text: 'Hi {{name}}, {{code}} for {{name}}' }], 'NAMED').body,
    ).toEqual(['code', 'name']);
    expect(templateSlots('MARKETING', [{ type: 'HEADER', format: 'LOCATION' }]).header).toBe(1);
  });

  it('should read names when no parameter format is stated and the body only has names', () => {
    expect(templateSlots('UTILITY', [{ type: 'body', text: 'Hi {{first_name}}' }]).body).toEqual(['first_name']);
  });

  it('should not throw on odd components', () => {
    expect(templateSlots('MARKETING', [null, 3, { type: 'BUTTONS', buttons: 'x' }, { type: 'BODY', text: 4 }])).toEqual(
      {
        header: 0,
        body: 0,
        buttons: [],
      },
    );
    expect(templateSlots('MARKETING', null as unknown as unknown[])).toEqual({ header: 0, body: 0, buttons: [] });
  });
});

describe(templateParameterIssues.name, () => {
  const promo: TemplateSlots = { header: 1, body: 3, buttons: ['optional', 'optional'] };

  it('should accept the exact parameters, in each accepted form', () => {
    expect(templateParameterIssues(promo, { header: 'Summer Sale', body: ['August', '25OFF', '25%'] })).toEqual([]);
    expect(
      templateParameterIssues(promo, {
        header: ['Summer Sale'],
        body: [
          'August',
          25,
          { type: 'currency', currency: { amount_1000: 25000, code: 'USD', fallback_value: '$25' } },
        ],
        buttons: [null, { subType: 'quick_reply', payload: 'STOP_ALL' }],
      }),
    ).toEqual([]);
    expect(templateParameterIssues({ header: 0, body: 0, buttons: [] }, undefined)).toEqual([]);
    expect(templateParameterIssues({ header: 0, body: 1, buttons: [] }, { body: 'single' })).toEqual([]);
  });

  it('should say how many body parameters it takes when given fewer or more', () => {
    expect(templateParameterIssues(promo, { header: 'x', body: ['a', 'b'] })).toEqual([
      { field: 'body', issue: 'takes 3 body parameters, got 2' },
    ]);
    expect(templateParameterIssues(promo, { header: 'x', body: ['a', 'b', 'c', 'd'] })).toEqual([
      { field: 'body', issue: 'takes 3 body parameters, got 4' },
    ]);
    expect(templateParameterIssues(promo, { header: 'x' })).toEqual([
      { field: 'body', issue: 'takes 3 body parameters, got 0' },
    ]);
  });

  it('should check the header count', () => {
    expect(templateParameterIssues(promo, { body: ['a', 'b', 'c'] })).toEqual([
      { field: 'header', issue: 'takes 1 header parameter, got 0' },
    ]);
    expect(templateParameterIssues(promo, { header: ['a', 'b'], body: ['a', 'b', 'c'] })).toEqual([
      { field: 'header', issue: 'takes 1 header parameter, got 2' },
    ]);
    expect(templateParameterIssues({ header: 0, body: 0, buttons: [] }, { header: 'x' })).toEqual([
      { field: 'header', issue: 'takes no header parameter, got 1' },
    ]);
  });

  it('should name the missing and the extra names of a NAMED body', () => {
    const slots: TemplateSlots = { header: 0, body: ['first_name', 'order_id'], buttons: [] };
    expect(templateParameterIssues(slots, { body: { first_name: 'Ana', order_id: '1001' } })).toEqual([]);
    expect(templateParameterIssues(slots, { body: { first_name: 'Ana', order: '1001' } })).toEqual([
      { field: 'body.order_id', issue: 'missing named body parameter' },
      { field: 'body.order', issue: expect.stringContaining('not a placeholder of this template') },
    ]);
    expect(templateParameterIssues(slots, { body: ['Ana', '1001'] })).toEqual([
      { field: 'body', issue: expect.stringContaining('takes named body parameters {first_name, order_id}') },
    ]);
    expect(templateParameterIssues({ header: 0, body: 2, buttons: [] }, { body: { a: '1', b: '2' } })).toEqual([
      { field: 'body', issue: 'takes 2 body parameters as a list, got named parameters' },
    ]);
  });

  it('should need required buttons and refuse parameters for buttons that take none', () => {
    const slots: TemplateSlots = { header: 0, body: 0, buttons: ['required', 'none', 'optional'] };
    expect(templateParameterIssues(slots, { buttons: ['order/1001'] })).toEqual([]);
    expect(templateParameterIssues(slots, { buttons: [{ subType: 'url', text: 'order/1001' }, null, null] })).toEqual(
      [],
    );
    expect(templateParameterIssues(slots, {})).toEqual([
      { field: 'buttons[0]', issue: 'this button takes a parameter, got none' },
    ]);
    expect(templateParameterIssues(slots, { buttons: [null, 'x'] })).toEqual([
      { field: 'buttons[0]', issue: 'this button takes a parameter, got none' },
      { field: 'buttons[1]', issue: 'this button takes no parameter (give null)' },
    ]);
    expect(templateParameterIssues(slots, { buttons: ['a', null, 'not a payload', 'x'] })).toEqual([
      { field: 'buttons[2]', issue: expect.stringContaining('quick_reply') },
      { field: 'buttons[3]', issue: 'the template has only 3 buttons' },
    ]);
    expect(templateParameterIssues(slots, { buttons: [{ subType: 'copy_code', couponCode: 'SAVE25' }] })).toEqual([]);
  });

  it('should refuse unknown groups and values the send cannot use, without throwing on junk', () => {
    expect(templateParameterIssues({ header: 0, body: 1, buttons: [] }, { body: [null], footer: ['x'] })).toEqual([
      { field: 'footer', issue: 'unknown parameter group (expected header, body, buttons)' },
      { field: 'body[0]', issue: expect.stringContaining('must be a string') },
    ]);
    expect(templateParameterIssues({ header: 0, body: 0, buttons: [] }, { buttons: 'x' })).toEqual([
      { field: 'buttons', issue: expect.stringContaining('must be a list') },
    ]);
    expect(
      templateParameterIssues({ header: 0, body: 0, buttons: [] }, 'x' as unknown as Record<string, unknown>),
    ).toEqual([{ field: 'parameters', issue: expect.any(String) }]);
  });
});

describe(statusAfterEvent.name, () => {
  const expected: Record<(typeof TEMPLATE_EVENTS)[number], TemplateStatus> = {
    APPROVED: 'APPROVED',
    ARCHIVED: 'ARCHIVED',
    UNARCHIVED: 'PAUSED',
    DELETED: 'DELETED',
    DISABLED: 'DISABLED',
    FLAGGED: 'FLAGGED',
    IN_APPEAL: 'IN_APPEAL',
    LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
    LOCKED: 'LOCKED',
    UNLOCKED: 'PAUSED',
    PAUSED: 'PAUSED',
    PENDING: 'PENDING',
    REINSTATED: 'APPROVED',
    PENDING_DELETION: 'PENDING_DELETION',
    REJECTED: 'REJECTED',
  };

  it.each(TEMPLATE_EVENTS.map((event) => [event, expected[event]]))(
    'should turn %s into %s (previous status PAUSED)',
    (event, status) => {
      expect(statusAfterEvent(event, undefined, 'PAUSED')).toBe(status);
      expect(TEMPLATE_STATUSES).toContain(status);
    },
  );

  it('should return to APPROVED after UNARCHIVED or UNLOCKED when the status before is unknown', () => {
    expect(statusAfterEvent('UNARCHIVED', undefined, null)).toBe('APPROVED');
    expect(statusAfterEvent('UNLOCKED', undefined, null)).toBe('APPROVED');
    expect(statusAfterEvent('UNARCHIVED', undefined, 'ARCHIVED')).toBe('APPROVED');
    expect(statusAfterEvent('UNLOCKED', undefined, 'LOCKED')).toBe('APPROVED');
  });

  it('should read an UNPAUSE PAUSED event as approved again, and other PAUSED titles as paused', () => {
    expect(statusAfterEvent('PAUSED', 'UNPAUSE', 'PAUSED')).toBe('APPROVED');
    expect(statusAfterEvent('PAUSED', 'FIRST_PAUSE', 'APPROVED')).toBe('PAUSED');
    expect(statusAfterEvent('PAUSED', 'RATE_LIMITING_PAUSE', 'APPROVED')).toBe('PAUSED');
  });

  it('should ignore events it does not know', () => {
    expect(statusAfterEvent('QUALITY_CHANGED', undefined, 'APPROVED')).toBeNull();
    expect(statusAfterEvent('', undefined, null)).toBeNull();
    expect(statusAfterEvent('constructor', undefined, null)).toBeNull();
  });
});
