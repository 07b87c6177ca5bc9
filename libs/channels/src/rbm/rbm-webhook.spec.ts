import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { WebhookRequest } from '../channel.port.js';
import { RbmWebhookHandler, verificationAnswer } from './rbm-webhook.js';

const CLIENT_TOKEN = 'SJENCPGJESMGUFPY';
const URL_ = 'https://herald.example/webhooks/rbm';
const NOW = new Date('2026-01-01T00:00:00Z');

const fixtureText = (name: string): string =>
  readFileSync(new URL(`../../../../test/fixtures/providers/${name}`, import.meta.url), 'utf8');

/** Builds a push the way RBM does: the event as base64 `message.data`, signed per Google's documented algorithm. */
function push(event: Record<string, unknown>, token = CLIENT_TOKEN): WebhookRequest {
  const decoded = Buffer.from(JSON.stringify(event));
  const signature = createHmac('sha512', token).update(decoded).digest('base64');
  const rawBody = Buffer.from(
    JSON.stringify({
      message: { data: decoded.toString('base64'), messageId: '123', publishTime: '2026-01-01T00:00:00Z' },
      subscription: 'projects/rbm-agent/subscriptions/rbm-agent-sub',
    }),
  );
  return { rawBody, headers: { 'x-goog-signature': signature }, url: URL_ };
}

const SENT = '2014-10-02T15:01:23.045123456Z';
const userEvent = (eventType: string, extra: Record<string, unknown> = {}) => ({
  senderPhoneNumber: '+12223334444',
  eventType,
  eventId: 'evt-1',
  sendTime: SENT,
  agentId: 'herald-agent',
  ...extra,
});

describe(RbmWebhookHandler.name, () => {
  const handler = new RbmWebhookHandler(CLIENT_TOKEN, () => NOW);

  describe('verify', () => {
    it('should accept a push signed with the client token', () => {
      expect(handler.verify(push(userEvent('DELIVERED', { messageId: 'm-1' })))).toBe(true);
    });

    it('should refuse a tampered signature', () => {
      const request = push(userEvent('DELIVERED', { messageId: 'm-1' }));
      const signature = request.headers['x-goog-signature']!;
      const tampered = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;

      expect(handler.verify({ ...request, headers: { 'x-goog-signature': tampered } })).toBe(false);
    });

    it('should refuse a push signed with another token', () => {
      expect(handler.verify(push(userEvent('READ', { messageId: 'm-1' }), 'ANOTHERTOKEN'))).toBe(false);
    });

    it('should refuse a body whose event was changed after signing', () => {
      const request = push(userEvent('DELIVERED', { messageId: 'm-1' }));
      const other = push(userEvent('DELIVERED', { messageId: 'm-2' }));

      expect(handler.verify({ ...other, headers: request.headers })).toBe(false);
    });

    it('should refuse a request without signature or without message.data', () => {
      const request = push(userEvent('DELIVERED', { messageId: 'm-1' }));

      expect(handler.verify({ ...request, headers: {} })).toBe(false);
      expect(handler.verify({ ...request, rawBody: Buffer.from('{"message":{}}') })).toBe(false);
      expect(handler.verify({ ...request, rawBody: Buffer.from('not json') })).toBe(false);
    });
  });

  describe('parse', () => {
    it('should turn DELIVERED into a delivered report for the agent messageId', () => {
      const event = userEvent('DELIVERED', { messageId: '0190f3a1-b2c3-7d4e-8f90-a1b2c3d4e5f6' });

      expect(handler.parse(push(event))).toEqual([
        {
          kind: 'status',
          report: {
            provider: 'google-rbm',
            providerMessageId: '0190f3a1-b2c3-7d4e-8f90-a1b2c3d4e5f6',
            status: 'delivered',
            at: new Date('2014-10-02T15:01:23.045Z'),
            raw: event,
          },
        },
      ]);
    });

    it('should turn READ into a read report', () => {
      const [event] = handler.parse(push(userEvent('READ', { messageId: 'm-1' })));

      expect(event).toMatchObject({ kind: 'status', report: { providerMessageId: 'm-1', status: 'read' } });
    });

    it('should turn TTL_EXPIRATION_REVOKED into an expired report so the cascade moves on', () => {
      const serverEvent = {
        phoneNumber: '+12223334444',
        agentId: 'herald-agent',
        messageId: 'm-1',
        eventType: 'TTL_EXPIRATION_REVOKED',
        eventId: 'evt-2',
        sendTime: SENT,
      };

      expect(handler.parse(push(serverEvent))).toEqual([
        {
          kind: 'status',
          report: expect.objectContaining({
            providerMessageId: 'm-1',
            status: 'expired',
            error: expect.objectContaining({ code: 'TTL_EXPIRATION_REVOKED', permanent: true }),
          }),
        },
      ]);
    });

    it.each([
      ['UNSUBSCRIBE', false],
      ['SUBSCRIBE', true],
    ])('should turn %s into consent %s for the sender', (eventType, granted) => {
      expect(handler.parse(push(userEvent(eventType)))).toEqual([
        {
          kind: 'consent',
          channel: 'rcs',
          provider: 'google-rbm',
          address: '+12223334444',
          granted,
          at: new Date('2014-10-02T15:01:23.045Z'),
          raw: userEvent(eventType),
        },
      ]);
    });

    it('should turn a user text into an inbound message', () => {
      const message = {
        senderPhoneNumber: '+12223334444',
        messageId: 'MxUser1',
        sendTime: SENT,
        agentId: 'a',
        text: 'STOP',
      };

      expect(handler.parse(push(message))).toEqual([
        {
          kind: 'inbound',
          channel: 'rcs',
          provider: 'google-rbm',
          providerMessageId: 'MxUser1',
          from: '+12223334444',
          text: 'STOP',
          at: new Date('2014-10-02T15:01:23.045Z'),
          raw: message,
        },
      ]);
    });

    it('should turn a suggestion tap into an inbound message with its text', () => {
      const message = {
        senderPhoneNumber: '+12223334444',
        messageId: 'MxUser2',
        sendTime: SENT,
        suggestionResponse: { postbackData: 'suggestion_1', text: 'Suggestion #1' },
      };

      const [event] = handler.parse(push(message));

      expect(event).toMatchObject({ kind: 'inbound', text: 'Suggestion #1', raw: message });
    });

    it('should ignore typing indicators and failed revocations', () => {
      expect(handler.parse(push(userEvent('IS_TYPING')))).toEqual([]);
      expect(handler.parse(push({ eventType: 'TTL_EXPIRATION_REVOKE_FAILED', messageId: 'm-1' }))).toEqual([]);
    });

    it('should use the current time when the event has none', () => {
      const [event] = handler.parse(push({ eventType: 'DELIVERED', messageId: 'm-1' }));

      expect(event).toMatchObject({ report: { at: NOW } });
    });

    it('should throw on a body that is not an RBM push', () => {
      const request: WebhookRequest = { rawBody: Buffer.from('{"hello":1}'), headers: {}, url: URL_ };

      expect(() => handler.parse(request)).toThrow(/RBM/);
    });
  });
});

describe(verificationAnswer.name, () => {
  const handshake = fixtureText('rcs-webhook-verification-request.json');

  it('should return the secret to echo when the client token matches', () => {
    expect(verificationAnswer(Buffer.from(handshake), CLIENT_TOKEN)).toBe('1234567890');
    expect(verificationAnswer(JSON.parse(handshake), CLIENT_TOKEN)).toBe('1234567890');
  });

  it('should return null for another client token or another body', () => {
    expect(verificationAnswer(Buffer.from(handshake), 'OTHERTOKEN')).toBeNull();
    expect(verificationAnswer(push(userEvent('READ')).rawBody, CLIENT_TOKEN)).toBeNull();
    expect(verificationAnswer('not json', CLIENT_TOKEN)).toBeNull();
  });
});
