import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { DsnParseError, dsnToReports, parseDsn } from './dsn.js';

const fixture = (name: string): Buffer =>
  readFileSync(new URL(`../../../../test/fixtures/providers/${name}`, import.meta.url));

/** An mbox holds several messages, each starting at a `From ` line. */
const splitMbox = (mbox: string): string[] =>
  mbox
    .split(/^From .*\r?\n/m)
    .map((message) => message.trim())
    .filter(Boolean);

const NOW = new Date('2026-01-01T00:00:00Z');

describe(parseDsn.name, () => {
  it('should read the RFC 3464 example: one failed recipient with status 4.0.0', () => {
    expect(parseDsn(fixture('smtp-dsn-rfc3464-simple.eml'))).toEqual({
      reportingMta: 'cs.utk.edu',
      date: new Date('1994-07-07T21:16:05Z'),
      recipients: [
        {
          finalRecipient: 'louisl@larry.slip.umd.edu',
          originalRecipient: 'louisl@larry.slip.umd.edu',
          action: 'failed',
          status: '4.0.0',
          diagnosticCode: '426 connection timed out',
          lastAttemptDate: new Date('1994-07-07T21:15:49Z'),
        },
      ],
    });
  });

  it("should read both of Exim's DSNs with the original Message-ID from rfc822 and rfc822-headers parts", () => {
    const [failed, delayed] = splitMbox(fixture('smtp-dsn-exim-test-0224.mbox').toString()).map((raw) => parseDsn(raw));

    expect(failed).toEqual({
      reportingMta: 'the.local.host.name',
      originalMessageId: '<E10HmaX-0005vi-00@the.local.host.name>',
      date: new Date('1999-03-02T09:44:33Z'),
      recipients: [
        { finalRecipient: 'useryx@test.ex', action: 'failed', status: '5.0.0' },
        { finalRecipient: 'userxx@test.ex', action: 'failed', status: '5.0.0' },
      ],
    });
    expect(delayed).toMatchObject({
      originalMessageId: '<E10HmaZ-0005vi-00@the.local.host.name>',
      recipients: [
        { finalRecipient: 'file@test.ex', action: 'delayed', status: '4.0.0' },
        { finalRecipient: 'userxy@test.ex', action: 'delayed', status: '4.0.0' },
        { finalRecipient: 'useryy@test.ex', action: 'delayed', status: '4.0.0' },
      ],
    });
  });

  it('should read Original-Envelope-Id and base64-encoded parts', () => {
    const status = [
      'Reporting-MTA: dns; mx.example',
      'Original-Envelope-Id: att_0190f3a1b2c37d4e8f90a1b2c3d4e5f6',
      '',
      'Final-Recipient: rfc822; <ana@example.com>',
      'Action: failed',
      'Status: 5.1.1 (bad mailbox)',
      'Diagnostic-Code: smtp; 550 5.1.1 <ana@example.com>: Recipient address',
      '  rejected: User unknown',
    ].join('\r\n');
    const raw = [
      'Content-Type: multipart/report; report-type="delivery-status"; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'Sorry.',
      '--b1',
      'Content-Type: message/delivery-status',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(status).toString('base64'),
      '--b1',
      'Content-Type: text/rfc822-headers',
      '',
      'From: Herald <no-reply@herald.example>',
      'Message-ID: <att_0190f3a1b2c37d4e8f90a1b2c3d4e5f6@herald>',
      '--b1--',
      '',
    ].join('\r\n');

    expect(parseDsn(raw)).toMatchObject({
      originalEnvelopeId: 'att_0190f3a1b2c37d4e8f90a1b2c3d4e5f6',
      originalMessageId: '<att_0190f3a1b2c37d4e8f90a1b2c3d4e5f6@herald>',
      recipients: [
        {
          finalRecipient: 'ana@example.com',
          action: 'failed',
          status: '5.1.1',
          diagnosticCode: '550 5.1.1 <ana@example.com>: Recipient address rejected: User unknown',
        },
      ],
    });
  });

  it('should find a DSN forwarded as an attachment', () => {
    const raw = [
      'Content-Type: multipart/mixed; boundary=outer',
      '',
      '--outer',
      'Content-Type: message/rfc822',
      '',
      fixture('smtp-dsn-rfc3464-simple.eml').toString(),
      '--outer--',
    ].join('\n');

    expect(parseDsn(raw).recipients).toEqual([expect.objectContaining({ action: 'failed', status: '4.0.0' })]);
  });

  it('should refuse a message that is not a DSN', () => {
    expect(() => parseDsn('Subject: hello\r\n\r\nJust mail.\r\n')).toThrow(DsnParseError);
  });
});

describe(dsnToReports.name, () => {
  it('should report a failed 4.0.0 as failed, not permanent, keyed by the ENVID Herald sent', () => {
    const dsn = parseDsn(fixture('smtp-dsn-rfc3464-simple.eml'));

    expect(dsnToReports({ ...dsn, originalEnvelopeId: 'att_0190f3a1b2c37d4e8f90a1b2c3d4e5f6' })).toEqual([
      {
        provider: 'smtp',
        providerMessageId: '<att_0190f3a1b2c37d4e8f90a1b2c3d4e5f6@herald>',
        status: 'failed',
        at: new Date('1994-07-07T21:15:49Z'),
        error: { kind: 'NOT_REACHABLE', code: '4.0.0', message: '426 connection timed out', permanent: false },
        raw: expect.objectContaining({ reportingMta: 'cs.utk.edu' }),
      },
    ]);
  });

  it('should give no report when the DSN names no message', () => {
    expect(dsnToReports(parseDsn(fixture('smtp-dsn-rfc3464-simple.eml')))).toEqual([]);
  });

  it("should report Exim's 5.0.0 failures as permanent failures of the original Message-ID", () => {
    const [failed] = splitMbox(fixture('smtp-dsn-exim-test-0224.mbox').toString());

    const reports = dsnToReports(parseDsn(failed!), () => NOW);

    expect(reports).toEqual([
      expect.objectContaining({
        providerMessageId: '<E10HmaX-0005vi-00@the.local.host.name>',
        status: 'failed',
        at: new Date('1999-03-02T09:44:33Z'),
        error: {
          kind: 'NOT_REACHABLE',
          code: '5.0.0',
          message: 'Delivery to useryx@test.ex failed (5.0.0)',
          permanent: true,
        },
      }),
      expect.objectContaining({ status: 'failed', error: expect.objectContaining({ permanent: true }) }),
    ]);
  });

  it('should give no report for a delay warning', () => {
    const [, delayed] = splitMbox(fixture('smtp-dsn-exim-test-0224.mbox').toString());

    expect(dsnToReports(parseDsn(delayed!))).toEqual([]);
  });

  it('should report delivered and classify a bad mailbox as INVALID_ADDRESS', () => {
    const reports = dsnToReports(
      {
        originalMessageId: '<m@herald>',
        recipients: [
          { finalRecipient: 'a@example.com', action: 'delivered', status: '2.0.0' },
          {
            finalRecipient: 'b@example.com',
            action: 'failed',
            status: '5.1.1',
            diagnosticCode: '550 5.1.1 No such user',
          },
          { finalRecipient: 'c@example.com', action: 'relayed', status: '2.0.0' },
        ],
      },
      () => NOW,
    );

    expect(reports.map((r) => [r.status, r.error?.kind, r.at])).toEqual([
      ['delivered', undefined, NOW],
      ['failed', 'INVALID_ADDRESS', NOW],
    ]);
  });
});
