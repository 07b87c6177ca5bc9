import { expect } from '@jest/globals';
import { ChannelSendError } from './channel.port.js';

/** For adapter specs: the ChannelSendError a refused send rejects with (fails the test if it resolves). */
export async function sendError(promise: Promise<unknown>): Promise<ChannelSendError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the send to be refused');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ChannelSendError);
  return error as ChannelSendError;
}
