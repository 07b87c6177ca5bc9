import type { ChannelProvider, WebhookHandler } from '#libs/channels/src/index.js';
import { RbmProvider, RbmWebhookHandler, rbmTokenSource } from '#libs/channels/src/rbm/index.js';
import { SmtpProvider } from '#libs/channels/src/smtp/index.js';
import { TwilioSmsProvider, TwilioWebhookHandler } from '#libs/channels/src/twilio/index.js';
import { ViberProvider, ViberWebhookHandler } from '#libs/channels/src/viber/index.js';
import { WhatsAppCloudProvider, WhatsAppWebhookHandler } from '#libs/channels/src/whatsapp-cloud/index.js';
import type { Channel } from '#libs/core/src/index.js';
import type { HeraldConfig } from '../config/config.js';

/** The webhook paths of API §6, by provider. */
export type WebhookSource = 'twilio' | 'whatsapp' | 'viber' | 'rbm';

export interface RealProviders {
  providers: Map<Channel, ChannelProvider>;
  webhooks: Map<WebhookSource, WebhookHandler>;
}

/**
 * Builds a real adapter for every channel whose credentials are configured (a channel without them is left
 * to the sandbox, or unavailable with HERALD_SANDBOX=false). Adapters are built once per process from the
 * immutable configuration: nothing mutable is shared between workspaces.
 */
export function realProviders(config: HeraldConfig): RealProviders {
  const providers = new Map<Channel, ChannelProvider>();
  const webhooks = new Map<WebhookSource, WebhookHandler>();
  if (config.twilio) {
    const { accountSid, authToken, from, messagingServiceSid, baseUrl } = config.twilio;
    const statusCallbackUrl = `${config.publicUrl}/webhooks/twilio`;
    providers.set(
      'sms',
      new TwilioSmsProvider({ accountSid, authToken, from, messagingServiceSid, baseUrl, statusCallbackUrl }),
    );
    webhooks.set('twilio', new TwilioWebhookHandler({ authToken }));
  }
  if (config.whatsapp) {
    const { accessToken, phoneNumberId, graphUrl, apiVersion, appSecret } = config.whatsapp;
    providers.set('whatsapp', new WhatsAppCloudProvider({ accessToken, phoneNumberId, graphUrl, apiVersion }));
    if (appSecret) webhooks.set('whatsapp', new WhatsAppWebhookHandler({ appSecret }));
  }
  if (config.viber) {
    const { authToken, senderName, baseUrl } = config.viber;
    providers.set('viber', new ViberProvider({ authToken, senderName, baseUrl }));
    webhooks.set('viber', new ViberWebhookHandler({ authToken }));
  }
  if (config.rbm) {
    const { agentId, baseUrl, accessToken, serviceAccountKeyFile, clientToken } = config.rbm;
    providers.set(
      'rcs',
      new RbmProvider({ agentId, baseUrl }, rbmTokenSource({ accessToken, keyFile: serviceAccountKeyFile })),
    );
    if (clientToken) webhooks.set('rbm', new RbmWebhookHandler(clientToken));
  }
  if (config.smtp) {
    // smtp:// on a local catcher (docker-compose's Mailpit) offers no TLS; smtps:// and STARTTLS stay strict.
    providers.set('email', new SmtpProvider({ url: config.smtp.url, from: config.smtp.from }));
  }
  return { providers, webhooks };
}
